/* rc-log.c: the one GLib log writer.  Prints Receptor's line format
 * "<WORD> YYYY/MM/DD hh:mm:ss <message>" on stdout (config.md 12.2) and
 * filters by Receptor's level (config.md 12.1). */
#include "config.h"

#include "rc-log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Written once before the loop starts (or by log-level's create), read by the
 * writer: an allowed static (STYLE.md 4). */
static RcLogLevel current_level = RC_LOG_LEVEL_INFO;

static const char *const level_words[] = {NULL, "ERROR", "WARNING", "INFO", "DEBUG"};
static const char *const level_names[] = {NULL, "error", "warning", "info", "debug"};

void
rc_log_set_level(RcLogLevel level)
{
	current_level = level;
}

RcLogLevel
rc_log_get_level(void)
{
	return current_level;
}

gboolean
rc_log_level_from_name(const char *name, RcLogLevel *out)
{
	for (int i = RC_LOG_LEVEL_ERROR; i <= RC_LOG_LEVEL_DEBUG; i++) {
		if (g_ascii_strcasecmp(name, level_names[i]) == 0) {
			*out = (RcLogLevel)i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
rc_log_level_name(RcLogLevel level)
{
	if (level < RC_LOG_LEVEL_ERROR || level > RC_LOG_LEVEL_DEBUG)
		return "info";
	return level_names[level];
}

static RcLogLevel
map_level(GLogLevelFlags flags, const GLogField *fields, gsize n_fields)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "RC_LEVEL") == 0 && fields[i].length < 0 &&
		    g_strcmp0(fields[i].value, "ERROR") == 0)
			return RC_LOG_LEVEL_ERROR;
	}
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return RC_LOG_LEVEL_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return RC_LOG_LEVEL_WARNING;
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return RC_LOG_LEVEL_INFO;
	return RC_LOG_LEVEL_DEBUG;
}

static GLogWriterOutput
rc_log_writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *message = NULL;
	const char *domain = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
	}
	/* Messages from GLib itself or foreign libraries: criticals keep their
	 * default handling (fatal in tests), everything else is formatted. */
	if ((flags & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) &&
	    (domain == NULL || !g_str_has_prefix(domain, "receptor")))
		return g_log_writer_default(flags, fields, n_fields, user_data);

	RcLogLevel level = map_level(flags, fields, n_fields);
	if (level > current_level)
		return G_LOG_WRITER_HANDLED;
	/* Libraries' own debug chatter (libsoup frames, GSocketClient) is not
	 * Receptor's debug output. */
	if (level == RC_LOG_LEVEL_DEBUG && (domain == NULL || !g_str_has_prefix(domain, "receptor")))
		return G_LOG_WRITER_HANDLED;
	if (message == NULL)
		message = "";

	GDateTime *now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%Y/%m/%d %H:%M:%S");
	g_date_time_unref(now);
	gsize mlen = strlen(message);
	gboolean nl = mlen > 0 && message[mlen - 1] == '\n';
	g_autofree char *line =
	    g_strdup_printf("%s %s %s%s", level_words[level], stamp, message, nl ? "" : "\n");
	/* One write per line so concurrent writers (the work runner) never interleave. */
	gsize len = strlen(line), off = 0;
	while (off < len) {
		ssize_t n = write(STDOUT_FILENO, line + off, len - off);
		if (n <= 0)
			break;
		off += (gsize)n;
	}
	return G_LOG_WRITER_HANDLED;
}

void
rc_log_init(void)
{
	/* GLib allows one writer per process; several RcCores share it. */
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		g_log_set_writer_func(rc_log_writer, NULL, NULL);
		g_once_init_leave(&once, 1);
	}
}
