/* test-workceptor.c: status file form, locking, restore, shlex, exit texts,
 * JWT signing/verification (work.md, remote-work.md 5). */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "rc-command-runner.h"
#include "rc-core.h"
#include "rc-entity.h"
#include "rc-work-sign.h"
#include "rc-work-status.h"
#include "rc-work-statusfile.h"
#include "rc-workceptor.h"

/* ------------------------------------------------------------ status file */

static void
test_status_worked_example(void)
{
	/* work.md 1.4 */
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	g_autofree char *text = NULL;
	gsize len = 0;

	st->state = RC_WORK_SUCCEEDED;
	rc_work_status_set_detail(st, "exit status 0");
	st->stdout_size = 6;
	rc_work_status_set_work_type(st, "cat");
	text = rc_work_status_to_file(st, &len);
	g_assert_cmpstr(text, ==,
			"{\"State\":2,\"Detail\":\"exit status 0\",\"StdoutSize\":6,"
			"\"WorkType\":\"cat\",\"ExtraData\":null}\n");
	g_assert_cmpuint(len, ==, 86);
}

static void
test_status_allocation_example(void)
{
	/* work.md 2.7, first and sixth rows */
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	g_autofree char *a = NULL, *b = NULL;

	rc_work_status_set_detail(st, "Unit Created");
	rc_work_status_set_work_type(st, "cat");
	rc_work_status_set_command(st, 0, "");
	a = rc_work_status_to_file(st, NULL);
	g_assert_cmpstr(a, ==,
			"{\"State\":0,\"Detail\":\"Unit Created\",\"StdoutSize\":0,\"WorkType\":"
			"\"cat\",\"ExtraData\":{\"Pid\":0,\"Params\":\"\"}}\n");
	st->state = RC_WORK_RUNNING;
	rc_work_status_set_detail(st, "Running: PID 41236");
	st->stdout_size = 0;
	rc_work_status_set_work_type(st, "sl");
	rc_work_status_set_command(st, 41230, "-c \"sleep 60; echo done\"");
	b = rc_work_status_to_file(st, NULL);
	g_assert_cmpstr(b, ==,
			"{\"State\":1,\"Detail\":\"Running: PID 41236\",\"StdoutSize\":0,"
			"\"WorkType\":\"sl\",\"ExtraData\":{\"Pid\":41230,\"Params\":"
			"\"-c \\\"sleep 60; echo done\\\"\"}}\n");
}

static void
test_status_go_escaping(void)
{
	/* work.md 2.3 */
	g_autoptr(GString) out = g_string_new(NULL);
	rc_work_json_append_string(out, "a<b>&\x01\b\f\t\n\r\"\\\x7f\xe2\x80\xa8\xc3\xa9\xff!", -1);
	g_assert_cmpstr(out->str, ==,
			"\"a\\u003cb\\u003e\\u0026\\u0001\\u0008\\u000c\\t\\n\\r\\\"\\\\\x7f"
			"\\u2028\xc3\xa9\\ufffd!\"");
}

static void
test_status_parse_lenient(void)
{
	static const char text[] =
		"{\"state\":1,\"DETAIL\":\"x\",\"StdoutSize\":12,\"WorkType\":\"w\","
		"\"Unknown\":[1,2],\"ExtraData\":{\"Params\":\"-v\",\"Pid\":41230}}\n";
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	g_assert_true(rc_work_status_parse(st, (const guint8 *)text, strlen(text), &error));
	g_assert_no_error(error);
	g_assert_cmpint(st->state, ==, 1);
	g_assert_cmpstr(st->detail, ==, "x");
	g_assert_cmpint(st->stdout_size, ==, 12);
	g_assert_cmpint(st->extra_kind, ==, RC_WORK_EXTRA_COMMAND);
	g_assert_cmpint(st->pid, ==, 41230);
	/* written back in struct order */
	out = rc_work_status_to_file(st, NULL);
	g_assert_cmpstr(out, ==,
			"{\"State\":1,\"Detail\":\"x\",\"StdoutSize\":12,\"WorkType\":\"w\","
			"\"ExtraData\":{\"Pid\":41230,\"Params\":\"-v\"}}\n");
}

static void
test_status_raw_extra_kept(void)
{
	static const char text[] =
		"{\"State\":2,\"Detail\":\"exit status 0\",\"StdoutSize\":12,\"WorkType\":"
		"\"remote\",\"ExtraData\":{\"RemoteNode\":\"node3\",\"RemoteWorkType\":\"echo\","
		"\"RemoteParams\":{},\"RemoteUnitID\":\"p0Lm4NzT\",\"RemoteStarted\":true,"
		"\"LocalCancelled\":false,\"LocalReleased\":false,\"SignWork\":false,"
		"\"TLSClient\":\"\",\"Expiration\":\"0001-01-01T00:00:00Z\"}}\n";
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	g_autofree char *out = NULL;

	g_assert_true(rc_work_status_parse(st, (const guint8 *)text, strlen(text), NULL));
	g_assert_cmpint(st->extra_kind, ==, RC_WORK_EXTRA_RAW);
	out = rc_work_status_to_file(st, NULL);
	g_assert_cmpstr(out, ==, text);
}

static void
test_status_parse_errors(void)
{
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *deep = NULL;

	g_assert_false(rc_work_status_parse(st, (const guint8 *)"", 0, &error));
	g_assert_cmpstr(error->message, ==, "unexpected end of JSON input");
	g_clear_error(&error);
	g_assert_false(rc_work_status_parse(st, (const guint8 *)"{\"State\":1.5}", 13, &error));
	g_clear_error(&error);
	g_assert_false(rc_work_status_parse(st, (const guint8 *)"[1]", 3, &error));
	g_clear_error(&error);
	deep = g_strnfill(10000, '[');
	g_assert_false(rc_work_status_parse(st, (const guint8 *)deep, strlen(deep), &error));
	g_clear_error(&error);
	/* nothing changed */
	g_assert_cmpint(st->state, ==, 0);
	g_assert_cmpstr(st->detail, ==, "");
}

static void
test_state_names(void)
{
	static const char *const names[] = { "Pending", "Running", "Succeeded", "Failed",
					     "Canceled" };
	for (gint64 i = 0; i < 5; i++) {
		g_autofree char *n = rc_work_state_name(i);
		g_assert_cmpstr(n, ==, names[i]);
	}
	g_autofree char *other = rc_work_state_name(7);
	g_assert_cmpstr(other, ==, "Unknown: 7");
	g_assert_true(rc_work_state_is_complete(RC_WORK_SUCCEEDED));
	g_assert_true(rc_work_state_is_complete(RC_WORK_FAILED));
	g_assert_false(rc_work_state_is_complete(RC_WORK_CANCELED));
}

/* ------------------------------------------------------------ locked file */

static char *
read_file(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static void
test_statusfile_update_reads_file_first(void)
{
	g_autofree char *dir = g_dir_make_tmp("rc-work-XXXXXX", NULL);
	g_autoptr(RcWorkStatus) daemon = rc_work_status_new();
	g_autoptr(RcWorkStatus) runner = rc_work_status_new();
	g_autofree char *text = NULL, *lock = NULL;
	struct stat st;

	rc_work_status_set_detail(daemon, "Unit Created");
	rc_work_status_set_work_type(daemon, "cat");
	rc_work_status_set_command(daemon, 0, "-n");
	g_assert_true(rc_work_statusfile_save(dir, daemon, NULL));
	/* the runner knows nothing but updates without losing fields */
	g_assert_true(rc_work_statusfile_update_basic(dir, runner, RC_WORK_PENDING,
						      "Not started yet", 0, NULL));
	text = read_file(dir, "status");
	g_assert_cmpstr(text, ==,
			"{\"State\":0,\"Detail\":\"Not started yet\",\"StdoutSize\":0,\"WorkType\":"
			"\"cat\",\"ExtraData\":{\"Pid\":0,\"Params\":\"-n\"}}\n");
	g_autofree char *path = g_build_filename(dir, "status", NULL);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	lock = read_file(dir, "status.lock");
	g_assert_cmpstr(lock, ==, "");
	g_assert_true(rc_work_rmtree(dir, NULL));
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static void
test_statusfile_corrupt_refuses_update(void)
{
	g_autofree char *dir = g_dir_make_tmp("rc-work-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "status", NULL);
	g_autoptr(RcWorkStatus) st = rc_work_status_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	g_assert_true(g_file_set_contents(path, "{garbage", -1, NULL));
	g_assert_false(
		rc_work_statusfile_update_basic(dir, st, RC_WORK_FAILED, "x", -1, &error));
	g_assert_nonnull(error);
	text = read_file(dir, "status");
	g_assert_cmpstr(text, ==, "{garbage");
	rc_work_rmtree(dir, NULL);
}

/* ------------------------------------------------------------ restore */

static void
write_unit(const char *node_dir, const char *id, const char *status)
{
	g_autofree char *dir = g_build_filename(node_dir, id, NULL);
	g_autofree char *path = g_build_filename(dir, "status", NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, status, -1, NULL));
}

static void
test_restore_corrupt_touches_no_other_unit(void)
{
	g_autofree char *base = g_dir_make_tmp("rc-work-XXXXXX", NULL);
	g_autofree char *node_dir = g_build_filename(base, "n1", NULL);
	static const char good[] = "{\"State\":2,\"Detail\":\"exit status 0\",\"StdoutSize\":6,"
				   "\"WorkType\":\"cat\",\"ExtraData\":null}\n";
	static const char pending[] = "{\"State\":0,\"Detail\":\"Starting Worker\",\"StdoutSize\":0,"
				      "\"WorkType\":\"gone\",\"ExtraData\":null}\n";
	g_autoptr(RcCore) core = rc_core_new();
	g_autoptr(GError) error = NULL;
	RcWorkceptor *wc;
	RcWorkUnit *unit;
	g_autofree char *good_dir = g_build_filename(node_dir, "AAAA0001", NULL);
	g_autofree char *bad_dir = g_build_filename(node_dir, "BBBB0002", NULL);
	g_autofree char *empty_dir = g_build_filename(node_dir, "CCCC0003", NULL);
	g_autofree char *text = NULL;

	write_unit(node_dir, "AAAA0001", good);
	write_unit(node_dir, "BBBB0002", "{\"State\":");
	write_unit(node_dir, "CCCC0003", "");
	write_unit(node_dir, "DDDD0004", pending);
	core->node_id = g_strdup("n1");
	core->data_dir = g_strdup(base);
	wc = rc_workceptor_new(core, &error);
	g_assert_no_error(error);
	/* rc_log_error is a structured WARNING (not fatal here, see main) */
	rc_workceptor_scan(wc, NULL);

	unit = rc_workceptor_find_unit(wc, "AAAA0001");
	g_assert_nonnull(unit);
	text = read_file(good_dir, "status");
	g_assert_cmpstr(text, ==, good);
	g_clear_pointer(&text, g_free);
	/* corrupt: untouched on disk, Failed in memory with a clear detail */
	unit = rc_workceptor_find_unit(wc, "BBBB0002");
	g_assert_nonnull(unit);
	g_assert_cmpint(unit->status->state, ==, RC_WORK_FAILED);
	g_assert_true(g_str_has_prefix(unit->status->detail, "Failed to restart: "));
	text = read_file(bad_dir, "status");
	g_assert_cmpstr(text, ==, "{\"State\":");
	g_clear_pointer(&text, g_free);
	/* empty: rewritten (work.md 5.3) */
	text = read_file(empty_dir, "status");
	g_assert_cmpstr(text, ==,
			"{\"State\":3,\"Detail\":\"Failed to restart: unexpected end of JSON "
			"input\",\"StdoutSize\":0,\"WorkType\":\"\",\"ExtraData\":null}\n");
	/* unknown work type: frozen, shown as such */
	unit = rc_workceptor_find_unit(wc, "DDDD0004");
	g_assert_nonnull(unit);
	g_assert_null(unit->type);
	g_assert_cmpint(unit->status->state, ==, RC_WORK_PENDING);
	/* IDs are validated before they reach a path */
	g_assert_null(rc_workceptor_find_unit(wc, "../n1"));
	g_assert_null(rc_workceptor_find_unit(wc, "EEEE0005"));
	g_clear_pointer(&core, rc_core_free);
	rc_work_rmtree(base, NULL);
}

static const RcEntityDesc fake_command_desc = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "work-command",
	.kind = RC_ENTITY_WORKER,
};

static RcEntity *
fake_command_entity(RcCore *core, gboolean allow, const char *params)
{
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "allowruntimeparams", g_variant_new_boolean(allow));
	g_variant_builder_add(&b, "{sv}", "params", g_variant_new_string(params));
	g_variant_builder_add(&b, "{sv}", "verifysignature", g_variant_new_boolean(FALSE));
	return rc_entity_new(core, &fake_command_desc, NULL, "--work-command",
			     g_variant_builder_end(&b));
}

static void
test_allocate_and_pending_at_restart(void)
{
	g_autofree char *base = g_dir_make_tmp("rc-work-XXXXXX", NULL);
	g_autoptr(RcCore) core = rc_core_new();
	g_autoptr(GError) error = NULL;
	RcEntity *strict, *open;
	RcWorkceptor *wc;
	RcWorkUnit *unit;
	g_autofree char *text = NULL;
	g_autofree char *expected = NULL;
	g_autofree char *id = NULL;
	GStatBuf st;

	core->node_id = g_strdup("n1");
	core->data_dir = g_strdup_printf("%s//./", base);
	strict = fake_command_entity(core, FALSE, "-n");
	open = fake_command_entity(core, TRUE, "-c");
	g_ptr_array_add(core->entities, strict);
	g_ptr_array_add(core->entities, open);
	wc = rc_workceptor_new(core, &error);
	g_assert_no_error(error);
	g_assert_true(rc_workceptor_register_type(wc, strict, "cat", NULL, NULL, &error));
	g_assert_true(rc_workceptor_register_type(wc, open, "sh", NULL, NULL, &error));
	g_assert_false(rc_workceptor_register_type(wc, open, "sh", NULL, NULL, &error));
	g_assert_cmpstr(error->message, ==, "work type sh already registered");
	g_clear_error(&error);

	/* work.md 4.3: runtime params only when allowed; no orphan folder */
	GVariantBuilder b;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "params", g_variant_new_string("-v"));
	g_assert_null(rc_workceptor_allocate(wc, "cat", g_variant_builder_end(&b), &error));
	g_assert_cmpstr(error->message, ==, "extra params provided but not allowed");
	g_clear_error(&error);
	g_assert_null(rc_workceptor_allocate(wc, "nosuch", NULL, &error));
	g_assert_cmpstr(error->message, ==, "unknown work type nosuch");
	g_clear_error(&error);

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "params", g_variant_new_string("\"echo hi\""));
	unit = rc_workceptor_allocate(wc, "sh", g_variant_builder_end(&b), &error);
	g_assert_no_error(error);
	/* work.md 1.1: 8 characters of the 62-symbol alphabet, folder 0700 */
	g_assert_cmpuint(strlen(unit->id), ==, 8);
	g_assert_true(rc_work_unit_id_is_valid(unit->id));
	g_assert_true(g_str_has_prefix(unit->dir, base));
	g_assert_null(strstr(unit->dir, "//"));
	g_assert_null(strstr(unit->dir, "/./"));
	g_assert_cmpint(g_stat(unit->dir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	text = read_file(unit->dir, "status");
	g_assert_cmpstr(text, ==,
			"{\"State\":0,\"Detail\":\"Unit Created\",\"StdoutSize\":0,\"WorkType\":"
			"\"sh\",\"ExtraData\":{\"Pid\":0,\"Params\":\"-c \\\"echo hi\\\"\"}}\n");
	id = g_strdup(unit->id);

	/* a second daemon finds the unit Pending: 3 "Pending at restart" (work.md 5.3) */
	rc_core_free(g_steal_pointer(&core));
	core = rc_core_new();
	core->node_id = g_strdup("n1");
	core->data_dir = g_strdup(base);
	open = fake_command_entity(core, TRUE, "-c");
	g_ptr_array_add(core->entities, open);
	wc = rc_workceptor_new(core, &error);
	g_assert_true(rc_workceptor_register_type(wc, open, "sh", NULL, NULL, &error));
	rc_workceptor_scan(wc, NULL);
	unit = rc_workceptor_find_unit(wc, id);
	g_assert_nonnull(unit);
	g_assert_cmpint(unit->status->state, ==, RC_WORK_FAILED);
	g_assert_cmpstr(unit->status->detail, ==, "Pending at restart");
	g_clear_pointer(&core, rc_core_free);
	rc_work_rmtree(base, NULL);
}

/* ------------------------------------------------------------ shlex, exits */

static void
assert_split(const char *text, const char *const *expected)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) words = rc_shlex_split(text, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(words), ==, g_strv_length((char **)expected));
	for (guint i = 0; expected[i] != NULL; i++)
		g_assert_cmpstr(words[i], ==, expected[i]);
}

static void
test_shlex(void)
{
	/* work.md 4.6 examples */
	assert_split("-c \"for i in 1 2; do echo $i; done\"",
		     (const char *const[]){ "-c", "for i in 1 2; do echo $i; done", NULL });
	assert_split("a\\ b 'c d' e#f # tail",
		     (const char *const[]){ "a b", "c d", "e#f", NULL });
	assert_split("a\"b c\"'d' \"\" ''",
		     (const char *const[]){ "ab cd", "", "", NULL });
	assert_split("", (const char *const[]){ NULL });
	assert_split("\"a\\qb\"", (const char *const[]){ "aqb", NULL });

	g_autoptr(GError) error = NULL;
	g_assert_null(rc_shlex_split("'open", &error));
	g_assert_cmpstr(error->message, ==, "EOF found when expecting closing quote");
	g_clear_error(&error);
	g_assert_null(rc_shlex_split("end\\", &error));
	g_assert_cmpstr(error->message, ==, "EOF found after escape character");
}

static void
test_exit_texts(void)
{
	g_autofree char *a = rc_runner_wait_status_text(0);
	g_autofree char *b = rc_runner_wait_status_text(3 << 8);
	g_autofree char *c = rc_runner_wait_status_text(SIGKILL);
	g_autofree char *d = rc_runner_wait_status_text(SIGSEGV | 0x80);
	g_autofree char *e = rc_runner_wait_status_text(40);
	g_assert_cmpstr(a, ==, "exit status 0");
	g_assert_cmpstr(b, ==, "exit status 3");
	g_assert_cmpstr(c, ==, "signal: killed");
	g_assert_cmpstr(d, ==, "signal: segmentation fault (core dumped)");
	g_assert_cmpstr(e, ==, "signal: signal 40");
}

/* ------------------------------------------------------------ signing */

typedef struct {
	char *dir;
	char *priv;
	char *pub;
	char *other_pub;
} Keys;

static char *
write_key_pair(const char *dir, const char *name, char **pub_path)
{
	gnutls_x509_privkey_t x;
	gnutls_privkey_t pk;
	gnutls_pubkey_t pub;
	gnutls_datum_t out = { NULL, 0 };
	g_autofree char *priv_name = g_strdup_printf("%s.key", name);
	g_autofree char *pub_name = g_strdup_printf("%s.pub", name);
	char *priv_path = g_build_filename(dir, priv_name, NULL);

	*pub_path = g_build_filename(dir, pub_name, NULL);
	g_assert_cmpint(gnutls_x509_privkey_init(&x), ==, 0);
	g_assert_cmpint(gnutls_x509_privkey_generate(x, GNUTLS_PK_RSA, 2048, 0), ==, 0);
	g_assert_cmpint(gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM, NULL,
							  GNUTLS_PKCS_PLAIN, &out),
			==, 0);
	g_assert_true(g_file_set_contents(priv_path, (char *)out.data, out.size, NULL));
	gnutls_free(out.data);
	gnutls_privkey_init(&pk);
	gnutls_privkey_import_x509(pk, x, 0);
	gnutls_pubkey_init(&pub);
	g_assert_cmpint(gnutls_pubkey_import_privkey(pub, pk, 0, 0), ==, 0);
	g_assert_cmpint(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &out), ==, 0);
	g_assert_true(g_file_set_contents(*pub_path, (char *)out.data, out.size, NULL));
	gnutls_free(out.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(pk);
	gnutls_x509_privkey_deinit(x);
	return priv_path;
}

static void
test_sign_roundtrip(void)
{
	g_autofree char *dir = g_dir_make_tmp("rc-sign-XXXXXX", NULL);
	g_autofree char *pub = NULL, *other_pub = NULL;
	g_autofree char *priv = write_key_pair(dir, "a", &pub);
	g_autofree char *other_priv = write_key_pair(dir, "b", &other_pub);
	gint64 now = G_GINT64_CONSTANT(1729802212) * G_USEC_PER_SEC;
	g_autoptr(GError) error = NULL;
	g_autofree char *token = rc_work_sign_token(priv, "node3", RC_WORK_SIGN_DEFAULT_LIFETIME_US,
						    now, &error);
	g_assert_no_error(error);
	/* remote-work.md 5.5: header and claims of the worked example */
	g_assert_true(g_str_has_prefix(token, "eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCJ9."
					      "eyJhdWQiOlsibm9kZTMiXSwiZXhwIjoxNzI5ODAyNTEyfQ."));
	g_assert_cmpuint(strlen(strrchr(token, '.') + 1), ==, 342);

	g_assert_true(rc_work_sign_verify(pub, token, "node3", now + 1, &error));
	g_assert_no_error(error);
	/* wrong audience */
	g_assert_false(rc_work_sign_verify(pub, token, "node4", now, &error));
	g_assert_cmpstr(error->message, ==, "token audience did not match node ID");
	g_clear_error(&error);
	/* forged: another key */
	g_assert_false(rc_work_sign_verify(other_pub, token, "node3", now, &error));
	g_assert_cmpstr(error->message, ==,
			"could not verify signature: crypto/rsa: verification error");
	g_clear_error(&error);
	/* expired 3.5 s ago */
	g_assert_false(rc_work_sign_verify(pub, token, "node3",
					   now + RC_WORK_SIGN_DEFAULT_LIFETIME_US + 3500000,
					   &error));
	g_assert_cmpstr(error->message, ==, "could not verify signature: token is expired by 3.5s");
	g_clear_error(&error);
	g_assert_false(rc_work_sign_verify(pub, "", "node3", now, &error));
	g_assert_cmpstr(error->message, ==, "could not verify signature: signature is empty");
	g_clear_error(&error);
	g_assert_false(rc_work_sign_verify(pub, "a.b", "node3", now, &error));
	g_assert_cmpstr(error->message, ==,
			"could not verify signature: token contains an invalid number of segments");
	g_clear_error(&error);
	g_assert_false(rc_work_sign_verify(NULL, token, "node3", now, &error));
	g_assert_cmpstr(error->message, ==,
			"could not verify signature: verifying key not specified");
	g_clear_error(&error);
	/* a private key where a public one is expected */
	g_assert_false(rc_work_sign_verify(other_priv, token, "node3", now, &error));
	g_assert_cmpstr(error->message, ==,
			"could not load verifying key file: public key file does not contain "
			"public key data");
	rc_work_rmtree(dir, NULL);
}

static void
test_pem_rules(void)
{
	static const char one[] = "junk\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
	static const char two_nl[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n\n";
	static const char ec[] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
	g_autoptr(GError) error = NULL;

	g_assert_true(rc_work_sign_check_pem(one, strlen(one), FALSE, NULL));
	g_assert_false(rc_work_sign_check_pem(two_nl, strlen(two_nl), FALSE, &error));
	g_assert_cmpstr(error->message, ==, "failed to decode PEM block");
	g_clear_error(&error);
	g_assert_false(rc_work_sign_check_pem(ec, strlen(ec), TRUE, &error));
	g_assert_cmpstr(error->message, ==, "unknown block type EC PRIVATE KEY");
}

static void
test_go_durations(void)
{
	gint64 us = 0;
	g_autoptr(GError) error = NULL;
	static const struct {
		gint64 ns;
		const char *text;
	} cases[] = { { 0, "0s" },
		      { 999, "999ns" },
		      { 112044, "112.044\xc2\xb5s" },
		      { 1397260, "1.39726ms" },
		      { 1500000000, "1.5s" },
		      { 60000000000, "1m0s" },
		      { 61500000000, "1m1.5s" },
		      { 3600000000000, "1h0m0s" },
		      { 10000123456, "10.000123456s" } };
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *t = rc_go_duration_string(cases[i].ns);
		g_assert_cmpstr(t, ==, cases[i].text);
	}
	g_assert_true(rc_go_duration_parse("1.5h", &us, NULL));
	g_assert_cmpint(us, ==, G_GINT64_CONSTANT(5400) * G_USEC_PER_SEC);
	g_assert_true(rc_go_duration_parse("30m10s", &us, NULL));
	g_assert_cmpint(us, ==, G_GINT64_CONSTANT(1810) * G_USEC_PER_SEC);
	g_assert_false(rc_go_duration_parse("1d", &us, &error));
	g_assert_cmpstr(error->message, ==, "time: unknown unit \"d\" in duration \"1d\"");
	g_clear_error(&error);
	g_assert_false(rc_go_duration_parse("12", &us, &error));
	g_assert_cmpstr(error->message, ==, "time: missing unit in duration \"12\"");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* runtime errors (rc_log_error) are warnings; criticals stay fatal */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
	g_test_add_func("/workceptor/status/worked-example-is-byte-exact", test_status_worked_example);
	g_test_add_func("/workceptor/status/command-extra-in-struct-order",
			test_status_allocation_example);
	g_test_add_func("/workceptor/status/strings-escaped-like-go", test_status_go_escaping);
	g_test_add_func("/workceptor/status/parse-ignores-unknown-keys-and-case",
			test_status_parse_lenient);
	g_test_add_func("/workceptor/status/other-extra-data-kept-verbatim",
			test_status_raw_extra_kept);
	g_test_add_func("/workceptor/status/bad-files-refused-record-unchanged",
			test_status_parse_errors);
	g_test_add_func("/workceptor/status/state-names-and-completeness", test_state_names);
	g_test_add_func("/workceptor/statusfile/update-rereads-the-file-first",
			test_statusfile_update_reads_file_first);
	g_test_add_func("/workceptor/statusfile/corrupt-file-is-never-overwritten",
			test_statusfile_corrupt_refuses_update);
	g_test_add_func("/workceptor/restore/corrupt-status-is-clear-error-and-touches-no-other-unit",
			test_restore_corrupt_touches_no_other_unit);
	g_test_add_func("/workceptor/allocate/ids-folders-params-and-pending-at-restart",
			test_allocate_and_pending_at_restart);
	g_test_add_func("/workceptor/runner/params-split-like-google-shlex", test_shlex);
	g_test_add_func("/workceptor/runner/exit-texts-like-go", test_exit_texts);
	g_test_add_func("/workceptor/sign/rs512-token-accepted-forged-expired-refused",
			test_sign_roundtrip);
	g_test_add_func("/workceptor/sign/pem-rules-like-go", test_pem_rules);
	g_test_add_func("/workceptor/sign/go-duration-text", test_go_durations);
	return g_test_run();
}
