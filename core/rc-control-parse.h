/* rc-control-parse.h: pure parsing and formatting of the control protocol:
 * command lines (control.md 2.2-2.3), argument tokens, and Go-compatible
 * output (compact JSON, floats, durations, times: control.md 2.9-2.10).
 * No I/O and no logging above debug. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef enum {
	RC_CONTROL_LINE_EMPTY = 0,   /* nothing but CR: no reply (control.md 2.2) */
	RC_CONTROL_LINE_TEXT = 1,    /* word + rest */
	RC_CONTROL_LINE_JSON = 2,    /* a JSON object with a string `command` */
	RC_CONTROL_LINE_BAD_JSON = 3 /* JSON form that failed: `error` is the first ERROR line's text */
} RcControlLineKind;

typedef struct {
	RcControlLineKind kind;
	char *command;   /* TEXT: first word lower-cased; JSON: the `command` member; else NULL */
	char *rest;      /* TEXT: everything after the first space, verbatim; else "" */
	JsonObject *json; /* JSON: the decoded object (owned); else NULL */
	char *error;     /* BAD_JSON: message, e.g. "JSON did not contain a command" */
} RcControlLine;

/* Parse one command line: `data` holds the bytes before the '\n' (the '\n'
 * excluded); every CR is discarded first.  Never fails: malformed JSON gives
 * RC_CONTROL_LINE_BAD_JSON.  Invalid UTF-8 becomes U+FFFD.  JSON nested deeper
 * than RC_CONTROL_JSON_MAX_DEPTH is refused as BAD_JSON.  (transfer full) */
RcControlLine *rc_control_line_parse(const guint8 *data, gsize len);
void rc_control_line_free(RcControlLine *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcControlLine, rc_control_line_free)

/* Split on every single space, Go strings.Split semantics: "" gives one empty
 * token, "a  b " gives "a", "", "b", "".  (transfer full) */
GStrv rc_control_split_spaces(const char *text);

/* Go JSON encoding (control.md 2.9) of `node`, compact, appended to `out`.
 * Objects keep insertion order (json_object_iter_init_ordered); strings are
 * escaped as Go does; integers in decimal; doubles by
 * rc_control_format_double.  Non-finite doubles are written as 0 (never
 * emitted by receptor-c, control.md 7 #14). */
void rc_control_json_append(GString *out, JsonNode *node);
/* (transfer full) */
char *rc_control_json_to_string(JsonNode *node);
/* Go string escaping, with the quotes. */
void rc_control_json_append_string(GString *out, const char *text);

/* Go's float64 JSON text: shortest round-trip digits; integral values
 * without fraction; exponent form only when abs < 1e-6 or >= 1e21 (control.md 2.9). */
void rc_control_format_double(GString *out, double value);
/* Go time.Duration.String() of `ns` nanoseconds (control.md 2.10). (transfer full) */
char *rc_control_format_duration(gint64 ns);
/* RFC 3339 with trimmed fraction and numeric offset or Z (control.md 2.9). (transfer full) */
char *rc_control_format_time(GDateTime *time);

/* A GVariant as a JsonNode: a{sv}/a{s*} become objects with keys sorted,
 * arrays arrays, maybe-nothing null, integers ints, doubles doubles, strings
 * strings, booleans, variants unwrapped, tuples arrays.  (transfer full) */
JsonNode *rc_control_variant_to_json(GVariant *value);
/* A JsonNode as a GVariant for plugin commands: objects a{sv}, arrays av,
 * strings s, numbers d (Go decodes every number as float64), booleans b,
 * null "mv" nothing.  (transfer full), floating reference sunk. */
GVariant *rc_control_json_to_variant(JsonNode *node);
