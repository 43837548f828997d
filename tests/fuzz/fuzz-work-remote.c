/* fuzz-work-remote.c: what the submitter parses from an executor and from
 * its own status files (remote-work.md 2.3, 3.1, 1.3): the "created" reply,
 * a status reply, and the ExtraData of a remote unit (redaction). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "rc-work-remote.h"
#include "rc-work-status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *line = g_strndup((const char *)data, size);
	g_autofree char *id = rc_work_remote_parse_created(line);
	g_autoptr(RcWorkStatus) st = rc_work_status_new();

	if (id != NULL) {
		g_assert_cmpuint(strlen(id), >, 0);
		for (const char *p = id; *p != '\0'; p++)
			g_assert_true(g_ascii_isalnum(*p));
	}
	if (rc_work_status_parse(st, data, size, NULL) && st->extra_kind == RC_WORK_EXTRA_RAW) {
		g_autoptr(JsonNode) red = rc_work_remote_redacted_extra(st->extra_raw);
		if (red != NULL)
			g_assert_true(JSON_NODE_HOLDS_OBJECT(red));
	}
	return 0;
}
