// validate.js: checks JSON files against a JSON Schema draft-04 with ajv (ajv-draft-04), its
// formats included (ajv-formats: date-time, uri). One line per file that fails, with ajv's
// errors; exit 1 when any fails, 2 when ajv is missing (check_ajv.sh then fails, never skips).
// usage: GG_NODE_MODULES=DIR node validate.js SCHEMA FILE...
'use strict';
const fs = require('fs');
const path = require('path');

const mods = process.env.GG_NODE_MODULES;
function need(name) {
  try {
    return require(mods ? path.join(mods, name) : name);
  } catch (e) {
    console.error(`validate.js: cannot load ${name} from ${mods || 'the default paths'}: ` +
      'run scripts/deps (it installs ajv there)');
    process.exit(2);
  }
}
const Ajv = need('ajv-draft-04');
const addFormats = need('ajv-formats');

const [schemaFile, ...files] = process.argv.slice(2);
if (!schemaFile || files.length === 0) {
  console.error('usage: node validate.js SCHEMA FILE...');
  process.exit(2);
}
// strict: no unknown keyword or format (ajv would ignore them). strictTypes and
// strictRequired are ajv's own style rules (an object keyword with no "type": "object"; a
// "required" in an allOf/oneOf branch naming a property the parent defines), which draft-04
// does not make and the draft's schema does not follow: off. unicodeRegExp: ajv compiles
// patterns with JavaScript's "u" flag, where PortlistType's "\\-" outside a class is an
// error; draft-04 patterns are ECMA 262 regular expressions, read without it.
const ajv = new Ajv({
  allErrors: true, strict: true, strictTypes: false, strictRequired: false, unicodeRegExp: false,
});
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
let bad = 0;
for (const f of files) {
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch (e) {
    console.log(`${f}: not JSON: ${e.message}`);
    bad++;
    continue;
  }
  if (!validate(doc)) {
    console.log(`${f}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
    bad++;
  }
}
console.log(`validate.js: ${files.length - bad} of ${files.length} valid`);
process.exit(bad ? 1 : 0);
