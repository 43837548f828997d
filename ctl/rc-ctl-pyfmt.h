/* rc-ctl-pyfmt.h: Python's text forms that receptorctl's output is made of
 * (control.md 5.6): json.dumps(indent=4, sort_keys=True), str() of scalars,
 * repr() of dicts and strings, f-string padding by code points. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* json.dumps(value, indent=4, sort_keys=True) (no trailing newline). */
void rc_ctl_py_json_dumps(GString *out, JsonNode *node);
/* str(value): strings as is, ints, floats by repr, True/False/None, and
 * repr() for containers. */
void rc_ctl_py_str(GString *out, JsonNode *node);
/* repr(value). */
void rc_ctl_py_repr(GString *out, JsonNode *node);
/* repr(float). */
void rc_ctl_py_float_repr(GString *out, double value);
/* repr(str). */
void rc_ctl_py_str_repr(GString *out, const char *text);
/* f"{text:<width}": pad with spaces to `width` code points, never truncate. */
void rc_ctl_py_pad(GString *out, const char *text, guint width);
