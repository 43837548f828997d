/* rc-gostrconv.h: Go's strconv and fmt behaviours the configuration front
 * end must reproduce byte for byte (config.md 5.2-5.4, 5.6).  Pure. */
#pragma once

#include <glib.h>

/* strconv.Quote of `s` (UTF-8 kept when printable, other bytes escaped).
 * (transfer full) */
char *rc_go_quote(const char *s);

/* strconv.ParseInt(s, 0, 64) (config.md 5.3).  Error text as Go prints it:
 * `strconv.ParseInt: parsing "abc": invalid syntax` / `...: value out of range`. */
gboolean rc_go_parse_int(const char *s, gint64 *out, GError **error);

/* strconv.ParseUint(s, 0, 64) without an error text. */
gboolean rc_go_parse_uint(const char *s, guint64 *out);

/* strconv.ParseFloat(s, 64) (config.md 5.4), same error style. */
gboolean rc_go_parse_float(const char *s, double *out, GError **error);

/* cmdline's betterParseBool (config.md 5.2): `could not parse <s> as boolean`. */
gboolean rc_go_parse_bool(const char *s, gboolean *out, GError **error);

/* fmt "%v" of a float64 ("1.5", "1e+21", "+Inf", "NaN"). (transfer full) */
char *rc_go_format_float_v(double d);
/* fmt "%f" of a float64 ("1.500000", "+Inf"). (transfer full) */
char *rc_go_format_float_f(double d);
