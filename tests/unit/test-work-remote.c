/* test-work-remote.c: the pure parts of remote work (remote-work.md): the
 * executor's "created" reply, ExtraData redaction and the expiry text. */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "rc-work-remote.h"

static void
test_created_reply(void)
{
	g_autofree char *a =
		rc_work_remote_parse_created("Work unit created with ID Hq5mT1xR. Send stdin data and EOF.\n");
	g_autofree char *b = rc_work_remote_parse_created("ERROR: unknown work type x\n");
	g_autofree char *c = rc_work_remote_parse_created("with ID . with ID ab9.");
	g_autofree char *d = rc_work_remote_parse_created("with ID ab-9.");
	g_assert_cmpstr(a, ==, "Hq5mT1xR");
	g_assert_null(b);
	g_assert_cmpstr(c, ==, "ab9");
	g_assert_null(d);
}

static void
test_redaction(void)
{
	const char *raw = "{\"RemoteNode\":\"node3\",\"RemoteWorkType\":\"catn\",\"RemoteParams\":"
			  "{\"SECRET_x\":\"s\",\"params\":\"-n\",\"secret_y\":\"t\"},"
			  "\"RemoteUnitID\":\"Hq5mT1xR\",\"RemoteStarted\":true,"
			  "\"LocalCancelled\":false,\"LocalReleased\":false,\"SignWork\":false,"
			  "\"TLSClient\":\"tc\",\"Expiration\":\"0001-01-01T00:00:00Z\"}";
	g_autoptr(JsonNode) node = rc_work_remote_redacted_extra(raw);
	g_autofree char *text = NULL;
	g_assert_nonnull(node);
	text = json_to_string(node, FALSE);
	g_assert_cmpstr(text, ==,
			"{\"RemoteNode\":\"node3\",\"RemoteWorkType\":\"catn\",\"RemoteParams\":"
			"{\"params\":\"-n\"},\"RemoteUnitID\":\"Hq5mT1xR\",\"RemoteStarted\":true,"
			"\"LocalCancelled\":false,\"LocalReleased\":false,\"SignWork\":false,"
			"\"TLSClient\":\"tc\",\"Expiration\":\"0001-01-01T00:00:00Z\"}");
	g_assert_null(rc_work_remote_redacted_extra("[1]"));
	g_assert_null(rc_work_remote_redacted_extra("{"));
}

static void
test_expiry_text(void)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("-04:00");
	g_autoptr(GDateTime) t = g_date_time_new(tz, 2024, 10, 24, 16, 41, 52.5);
	g_autoptr(GDateTime) t2 = g_date_time_new_utc(2025, 3, 2, 4, 5, 6);
	g_autofree char *s = rc_work_remote_format_expiry(t);
	g_autofree char *s2 = rc_work_remote_format_expiry(t2);
	g_assert_cmpstr(s, ==, "Thu Oct 24 16:41:52");
	g_assert_cmpstr(s2, ==, "Sun Mar 2 04:05:06");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/work-remote/created-reply-gives-the-executor-unit-id", test_created_reply);
	g_test_add_func("/work-remote/status-redacts-secret-params-in-go-order", test_redaction);
	g_test_add_func("/work-remote/expiry-text-uses-english-names-and-stored-offset",
			test_expiry_text);
	return g_test_run();
}
