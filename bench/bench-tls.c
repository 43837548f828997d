/* bench-tls.c: throughput of the TLS GIOStream (rc-tls.c) between two
 * in-process ends over a socketpair, against the same async copy loop over
 * the bare socketpair (the baseline, measured in the same run).
 * Then the memory of idle TLS connections: RSS growth per handshaken end.
 * Usage: bench-tls [MiB] [pairs]   (default 256 MiB, 300 pairs) */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-test-certs.h"
#include "rc-test.h"
#include "rc-tls.h"

#define CHUNK (64 * 1024)

typedef struct {
	GOutputStream *out;
	GInputStream *in;
	guint8 wbuf[CHUNK];
	guint8 rbuf[CHUNK];
	gsize total, written, got;
	GMainLoop *loop;
} Run;

static void write_next(Run *r);
static void read_next(Run *r);

static void
write_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Run *r = data;
	gssize n = g_output_stream_write_finish(G_OUTPUT_STREAM(src), res, NULL);
	g_assert(n > 0);
	r->written += (gsize)n;
	write_next(r);
}

static void
write_next(Run *r)
{
	if (r->written < r->total)
		g_output_stream_write_async(r->out, r->wbuf, MIN(CHUNK, r->total - r->written),
					    G_PRIORITY_DEFAULT, NULL, write_done, r);
}

static void
read_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Run *r = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);
	g_assert(n > 0);
	r->got += (gsize)n;
	if (r->got >= r->total)
		g_main_loop_quit(r->loop);
	else
		read_next(r);
}

static void
read_next(Run *r)
{
	g_input_stream_read_async(r->in, r->rbuf, CHUNK, G_PRIORITY_DEFAULT, NULL, read_done, r);
}

static double
run_copy(GIOStream *from, GIOStream *to, gsize total)
{
	Run r = { 0 };
	gint64 t0;
	r.out = g_io_stream_get_output_stream(from);
	r.in = g_io_stream_get_input_stream(to);
	r.total = total;
	r.loop = g_main_loop_new(NULL, FALSE);
	memset(r.wbuf, 0x5a, sizeof(r.wbuf));
	t0 = g_get_monotonic_time();
	write_next(&r);
	read_next(&r);
	g_main_loop_run(r.loop);
	g_main_loop_unref(r.loop);
	return (double)total / (1024.0 * 1024.0) /
	       ((double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
}

static void
socket_pair(GIOStream **a, GIOStream **b)
{
	int fds[2];
	g_autoptr(GSocket) sa = NULL;
	g_autoptr(GSocket) sb = NULL;
	g_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	sa = g_socket_new_from_fd(fds[0], NULL);
	sb = g_socket_new_from_fd(fds[1], NULL);
	*a = G_IO_STREAM(g_socket_connection_factory_create_connection(sa));
	*b = G_IO_STREAM(g_socket_connection_factory_create_connection(sb));
}

static gsize
rss_bytes(void)
{
	g_autofree char *statm = NULL;
	unsigned long size = 0, resident = 0;
	if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL) ||
	    sscanf(statm, "%lu %lu", &size, &resident) != 2)
		return 0;
	return (gsize)resident * (gsize)sysconf(_SC_PAGESIZE);
}

typedef struct {
	GIOStream *s[2];
	int done;
	GMainLoop *loop;
} Hs;

static void
wrapped(GObject *src, GAsyncResult *res, gpointer data)
{
	Hs *h = data;
	g_autoptr(GError) error = NULL;
	GIOStream *s = rc_tls_wrap_finish(res, &error);
	g_assert_no_error(error);
	h->s[h->s[0] == NULL ? 0 : 1] = s;
	if (++h->done == 2)
		g_main_loop_quit(h->loop);
}

int
main(int argc, char **argv)
{
	gsize mib = argc > 1 ? (gsize)g_ascii_strtoull(argv[1], NULL, 10) : 256;
	gsize total = mib * 1024 * 1024;
	g_autofree char *dir = rc_test_make_tmpdir("bench-tls");
	g_autoptr(RcTestCert) ca = rc_test_cert_new_ca("bench CA");
	g_autoptr(RcTestCert) leaf = NULL;
	const char *ids[] = { "bench", NULL };
	RcTestCertOpts o = { .node_ids = ids };
	g_autofree char *ca_file = NULL, *crt = NULL, *key = NULL;
	g_autoptr(RcTlsStore) store = rc_tls_store_new();
	g_autoptr(GVariantDict) sd = g_variant_dict_new(NULL);
	g_autoptr(GVariantDict) cd = g_variant_dict_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) sv = NULL;
	g_autoptr(GVariant) cv = NULL;
	g_autoptr(RcTlsConfig) server = NULL;
	g_autoptr(RcTlsConfig) client = NULL;
	g_autoptr(GIOStream) a = NULL, b = NULL, c = NULL, d = NULL;
	Hs h = { { NULL, NULL }, 0, g_main_loop_new(NULL, FALSE) };
	double plain, tls;
	gint64 t0;

	leaf = rc_test_cert_new(ca, &o);
	rc_test_cert_write(ca, NULL, dir, "ca", &ca_file, NULL);
	rc_test_cert_write(leaf, NULL, dir, "leaf", &crt, &key);
	g_variant_dict_insert(sd, "name", "s", "s");
	g_variant_dict_insert(sd, "cert", "s", crt);
	g_variant_dict_insert(sd, "key", "s", key);
	g_variant_dict_insert(cd, "name", "s", "c");
	g_variant_dict_insert(cd, "cert", "s", "");
	g_variant_dict_insert(cd, "key", "s", "");
	g_variant_dict_insert(cd, "rootcas", "s", ca_file);
	sv = g_variant_ref_sink(g_variant_dict_end(sd));
	cv = g_variant_ref_sink(g_variant_dict_end(cd));
	g_assert(rc_tls_store_add(store, TRUE, sv, "bench", &error));
	g_assert(rc_tls_store_add(store, FALSE, cv, "bench", &error));
	server = rc_tls_store_lookup(store, "s", TRUE, &error);
	client = rc_tls_store_lookup(store, "c", FALSE, &error);

	socket_pair(&a, &b);
	plain = run_copy(a, b, total);

	socket_pair(&c, &d);
	t0 = g_get_monotonic_time();
	rc_tls_wrap_async(server, c, NULL, NULL, wrapped, &h);
	rc_tls_wrap_async(client, d, NULL, NULL, wrapped, &h);
	g_main_loop_run(h.loop);
	g_print("handshake (ECDSA P-256, TLS 1.3, both ends in one process): %.2f ms\n",
		(double)(g_get_monotonic_time() - t0) / 1000.0);
	tls = run_copy(h.s[0], h.s[1], total);
	g_print("baseline: async copy over a bare socketpair: %.0f MiB/s\n", plain);
	g_print("tls:      async copy through rc-tls streams:  %.0f MiB/s (%.2f of baseline)\n",
		tls, tls / plain);
	{
		guint pairs = argc > 2 ? (guint)g_ascii_strtoull(argv[2], NULL, 10) : 300;
		g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_object_unref);
		gsize rss0 = rss_bytes(), rss_plain, rss_tls;
		for (guint i = 0; i < pairs; i++) {
			GIOStream *x = NULL, *y = NULL;
			socket_pair(&x, &y);
			g_ptr_array_add(keep, x);
			g_ptr_array_add(keep, y);
		}
		rss_plain = rss_bytes();
		for (guint i = 0; i < pairs; i++) {
			Hs hp = { { NULL, NULL }, 0, g_main_loop_new(NULL, FALSE) };
			rc_tls_wrap_async(server, g_ptr_array_index(keep, 2 * i), NULL, NULL, wrapped,
					  &hp);
			rc_tls_wrap_async(client, g_ptr_array_index(keep, 2 * i + 1), NULL, NULL,
					  wrapped, &hp);
			g_main_loop_run(hp.loop);
			g_main_loop_unref(hp.loop);
			g_ptr_array_add(keep, hp.s[0]);
			g_ptr_array_add(keep, hp.s[1]);
		}
		rss_tls = rss_bytes();
		g_print("memory:   %u socket pairs: %.1f KiB per bare end; TLS adds %.1f KiB per "
			"handshaken end\n",
			pairs, (double)(rss_plain - rss0) / (2.0 * pairs) / 1024.0,
			(double)(rss_tls - rss_plain) / (2.0 * pairs) / 1024.0);
	}
	g_clear_object(&h.s[0]);
	g_clear_object(&h.s[1]);
	g_main_loop_unref(h.loop);
	rc_test_rmtree(dir);
	return 0;
}
