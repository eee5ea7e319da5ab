/* iodef_json_table.h: what the IODEF-JSON converter (iodef_to_json.c) knows of each IODEF 2.0
 * element: how its text becomes JSON, its attributes and their types, its children with their
 * JSON keys and arity. The table (iodef_json_table.c) is generated from the XSDs by
 * scripts/iodef-json-table, which applies RFC 8727 section 3.2's rules. */
#ifndef GG_IODEF_JSON_TABLE_H
#define GG_IODEF_JSON_TABLE_H

#include <stddef.h>

/* Namespaces, by index: the table stores the index, the converter compares hrefs. */
enum gg_ij_ns { GG_IJ_NS_IODEF = 0, GG_IJ_NS_SCI, GG_IJ_NS_ENUM, GG_IJ_NS_DS, GG_IJ_NS_COUNT };

/* How an element becomes a JSON value. */
enum gg_ij_kind {
	GG_IJ_OBJECT,     /* attributes and children as keys of one object */
	GG_IJ_SCALAR,     /* its text, typed (no attributes) */
	GG_IJ_TEXTOBJ,    /* attributes and its text under text_key */
	GG_IJ_TEXTOPT,    /* as TEXTOBJ, text_key only when there is text (Confidence) */
	GG_IJ_MLSTRING,   /* a string, or {value, lang, translation-id} when it has attributes */
	GG_IJ_EXTENSION,  /* attributes and "value": its mixed content as text (XML kept) */
	GG_IJ_ANYVALUE,   /* as EXTENSION, "value" left out when empty (SoftwareReference) */
	GG_IJ_B64XML,     /* base64 of the element's standalone XML (ds:Signature, ds:X509Data) */
	GG_IJ_B64CONTENT, /* base64 of the element's content (sci:RawData) */
	GG_IJ_ALGORITHM,  /* its Algorithm attribute (ds:DigestMethod) */
	GG_IJ_REFATTR,    /* its uid-ref attribute (ObservableReference) */
	GG_IJ_FLATTEN,    /* a deleted class: its children go to the parent (Flow, Record...) */
};

/* JSON type of a text or attribute value. */
enum gg_ij_text {
	GG_IJ_NONE,
	GG_IJ_STRING,  /* xs:string: whitespace kept */
	GG_IJ_TOKEN,   /* enumerations, IDs, URIs, date-times: whitespace collapsed */
	GG_IJ_INTEGER, /* xs:integer: a JSON integer */
	GG_IJ_REAL,    /* xs:float: a JSON number */
	GG_IJ_BASE64,  /* base64 text: whitespace removed */
};

struct gg_ij_attr {
	const char *name; /* local name */
	const char *key;  /* JSON key ("lang" for xml:lang) */
	unsigned char type;
	unsigned char xml_ns; /* 1: in the xml: namespace */
};

struct gg_ij_child {
	unsigned char ns;
	const char *name;
	const char *key;
	unsigned char array;
};

struct gg_ij_elem {
	unsigned char ns;
	const char *name; /* local name */
	const char *key;  /* JSON key */
	unsigned char kind;
	unsigned char text;
	const char *text_key; /* TEXTOBJ: "value", "id" (IncidentID, IndicatorID), "handle" */
	const struct gg_ij_attr *attrs;
	size_t n_attrs;
	const struct gg_ij_child *children; /* with the children of FLATTEN ones lifted in */
	size_t n_children;
};

extern const struct gg_ij_elem gg_ij_elems[];
extern const size_t gg_ij_n_elems;

#endif
