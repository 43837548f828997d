/* rc-log.h: the one log writer: Receptor's line format (config.md 12.2). */
#pragma once

#include <glib.h>

/* Receptor's numeric levels (config.md 12.1). */
typedef enum {
	RC_LOG_LEVEL_ERROR = 1,
	RC_LOG_LEVEL_WARNING = 2,
	RC_LOG_LEVEL_INFO = 3,
	RC_LOG_LEVEL_DEBUG = 4
} RcLogLevel;

/* Install the writer (once, before the loop starts). */
void rc_log_init(void);
void rc_log_set_level(RcLogLevel level);
RcLogLevel rc_log_get_level(void);
/* "error" / "warning" / "info" / "debug", any case; FALSE when unknown. */
gboolean rc_log_level_from_name(const char *name, RcLogLevel *out);
const char *rc_log_level_name(RcLogLevel level); /* lower case */
