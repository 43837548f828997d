/* rc-duration.h: Go's time.Duration text (config.md 5.5): parsing
 * ("1m30s", "1.5h", "300ms") and printing (Duration.String). Pure. */
#pragma once

#include <glib.h>

/* Parse Go duration text into nanoseconds exactly as Go's
 * time.ParseDuration does.  On failure the GError message is Go's text,
 * e.g. `time: invalid duration "x"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "d" in duration "1d"`. */
gboolean rc_duration_parse_ns(const char *text, gint64 *ns, GError **error);

/* Parse Go duration text into microseconds (truncated toward zero).
 * FALSE when `text` is not a valid Go duration. */
gboolean rc_duration_parse(const char *text, gint64 *us);

/* Go's Duration.String() of `ns` nanoseconds: "1h30m0s", "1.5s", "300ms",
 * "1µs", "0s".  (transfer full) */
char *rc_duration_format_go(gint64 ns);
