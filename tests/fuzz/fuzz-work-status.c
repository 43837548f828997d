/* fuzz-work-status.c: the status-file parser (work.md 2) and its writer. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "rc-work-status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	if (rc_work_status_parse(st, data, size, NULL)) {
		/* what we write must parse, and writing is a fixed point after one
		 * round (invalid UTF-8 becomes U+FFFD on the first write, like Go) */
		gsize len = 0, len2 = 0;
		g_autofree char *text = rc_work_status_to_file(st, &len);
		g_autoptr(RcWorkStatus) again = rc_work_status_new();
		g_autoptr(RcWorkStatus) third = rc_work_status_new();
		g_autofree char *text2 = NULL, *text3 = NULL;
		g_assert_true(rc_work_status_parse(again, (const guint8 *)text, len, NULL));
		text2 = rc_work_status_to_file(again, &len2);
		g_assert_true(rc_work_status_parse(third, (const guint8 *)text2, len2, NULL));
		text3 = rc_work_status_to_file(third, NULL);
		g_assert_cmpstr(text2, ==, text3);
	}
	return 0;
}
