-- mod_gg_faults: fault injection for gridgate's integration tests (tests/integration/
-- it_publish_faults.sh). Loaded on the pubsub component only when scripts/controller is started
-- with GG_CONTROLLER_PUBSUB_MODULES naming this file; never in the default controller.
--
-- It sees every publish before mod_pubsub does (a higher priority on the same event) and picks
-- the items to misbehave on by their IODEF IncidentID, which starts with a marker:
--
--   gg-fault-refuse-...  every time: <error type='modify'><not-acceptable/>  (permanent)
--   gg-fault-badreq-...  every time: <error type='cancel'><bad-request/>     (permanent)
--   gg-fault-wait-...    the first 2 times for the item id: <error type='wait'>
--                        <resource-constraint/>, then published as usual
--   gg-fault-auth-...    the first 2 times: <error type='auth'><forbidden/>, then published
--   gg-fault-busy-...    the first 2 times: <error type='cancel'><internal-server-error/>,
--                        then published
--   gg-fault-hold-...    published by mod_pubsub at once, but the IQ result is sent only
--                        gg_faults_hold_seconds (default 3) later
--   gg-fault-silent-...  never answered (and not stored)
--
-- Each fault it injects is logged at info level, one line per publish attempt, so the test can
-- count attempts from Prosody's log:
--   gg-fault: kind=refuse item=<item id> incident=<IncidentID> attempt=<n> action=<what>
-- Counts are per item id and live as long as the module (a controller restart resets them).

local st = require "util.stanza";

local xmlns_pubsub = "http://jabber.org/protocol/pubsub";
local hold_seconds = module:get_option_number("gg_faults_hold_seconds", 3);
-- How many times a deferring fault answers with its error before it lets the item through.
local defer_times = module:get_option_number("gg_faults_defer_times", 2);

-- kind -> { error type, condition } for the errors answered every time or deferring.
local refusals = {
	refuse = { "modify", "not-acceptable" };
	badreq = { "cancel", "bad-request" };
};
local deferrals = {
	wait = { "wait", "resource-constraint" };
	auth = { "auth", "forbidden" };
	busy = { "cancel", "internal-server-error" };
};

local attempts = {}; -- "kind/item id" -> publish attempts seen

-- The text of the first IncidentID element under el (IODEF 1.0 and 2.0 alike), or nil.
local function incident_id(el, depth)
	if depth > 4 then return nil; end
	-- el.tags, not el:childtags(): without a namespace that yields only children in el's own
	-- namespace, and the IODEF document is in another one than the pubsub <item>.
	for _, child in ipairs(el.tags) do
		if child.name == "IncidentID" then
			return child:get_text();
		end
		local found = incident_id(child, depth + 1);
		if found then return found; end
	end
	return nil;
end

module:hook("iq/host/"..xmlns_pubsub..":pubsub", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type ~= "set" then return; end
	local publish = stanza.tags[1]:get_child("publish");
	local item = publish and publish:get_child("item");
	if not item then return; end
	local incident = incident_id(item, 1);
	local kind = incident and incident:match("^gg%-fault%-(%a+)%-");
	if not kind then return; end

	local id = item.attr.id or "?";
	local key = kind.."/"..id;
	local n = (attempts[key] or 0) + 1;
	attempts[key] = n;
	local function note(action)
		module:log("info", "gg-fault: kind=%s item=%s incident=%s attempt=%d action=%s",
			kind, id, incident, n, action);
	end

	local refusal, deferral = refusals[kind], deferrals[kind];
	if refusal then
		note("error "..refusal[1].."/"..refusal[2]);
		origin.send(st.error_reply(stanza, refusal[1], refusal[2], "gg-fault: refused on purpose"));
		return true;
	elseif deferral then
		if n <= defer_times then
			note("error "..deferral[1].."/"..deferral[2]);
			origin.send(st.error_reply(stanza, deferral[1], deferral[2], "gg-fault: deferred on purpose"));
			return true;
		end
		note("pass");
		return; -- mod_pubsub publishes it
	elseif kind == "silent" then
		note("no answer");
		return true; -- handled: Prosody sends nothing back
	elseif kind == "hold" then
		note("hold "..hold_seconds.."s");
		-- mod_pubsub (next handler, same event) stores the item now and answers through this
		-- origin, whose send keeps the answer back for hold_seconds.
		event.origin = setmetatable({
			send = function (reply)
				module:add_timer(hold_seconds, function ()
					module:log("info", "gg-fault: kind=hold item=%s incident=%s attempt=%d action=released %s",
						id, incident, n, reply.attr.type or "?");
					origin.send(reply);
				end);
				return true;
			end;
		}, { __index = origin });
		return; -- not handled: mod_pubsub runs with the wrapped origin
	end
	module:log("warn", "gg-fault: unknown fault kind '%s' in %s: published as usual", kind, incident);
end, 10);

module:log("info", "gg-fault: fault injection loaded (hold %ss, deferrals answered %d times)",
	hold_seconds, defer_times);
