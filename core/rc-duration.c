/* rc-duration.c: Go's time.ParseDuration and Duration.String (config.md 5.5). */
#include "config.h"

#include "rc-duration.h"

#include <string.h>

#include "receptor/receptor-plugin.h"

#define NS_MAX ((guint64)1 << 63)

/* Go's time.quote: ASCII printable kept, `"` and `\` escaped, every other
 * byte as \xNN. */
static char *
time_quote(const char *s)
{
	GString *out = g_string_new("\"");
	for (const guchar *p = (const guchar *)s; *p; p++) {
		if (*p >= 0x80 || *p < ' ') {
			g_string_append_printf(out, "\\x%02x", *p);
		} else {
			if (*p == '"' || *p == '\\')
				g_string_append_c(out, '\\');
			g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
	return g_string_free(out, FALSE);
}

static gboolean
fail_invalid(const char *orig, GError **error)
{
	g_autofree char *q = time_quote(orig);
	g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "time: invalid duration %s", q);
	return FALSE;
}

/* Go's leadingInt: digits into x; FALSE on overflow. */
static gboolean
leading_int(const char **s, guint64 *x)
{
	guint64 v = 0;
	const char *p = *s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > NS_MAX / 10)
			return FALSE;
		v = v * 10 + (guint64)(*p - '0');
		if (v > NS_MAX)
			return FALSE;
	}
	*s = p;
	*x = v;
	return TRUE;
}

/* Go's leadingFraction: digits after '.', ignoring those that overflow. */
static void
leading_fraction(const char **s, guint64 *x, double *scale)
{
	guint64 v = 0;
	double sc = 1;
	gboolean overflow = FALSE;
	const char *p = *s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (overflow)
			continue;
		if (v > (NS_MAX - 1) / 10) {
			overflow = TRUE;
			continue;
		}
		guint64 y = v * 10 + (guint64)(*p - '0');
		if (y > NS_MAX) {
			overflow = TRUE;
			continue;
		}
		v = y;
		sc *= 10;
	}
	*s = p;
	*x = v;
	*scale = sc;
}

static gboolean
unit_value(const char *u, gsize len, guint64 *unit)
{
	static const struct {
		const char *name;
		guint64 ns;
	} units[] = {
	    {"ns", 1},
	    {"us", 1000},
	    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
	    {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
	    {"ms", 1000000},
	    {"s", G_GUINT64_CONSTANT(1000000000)},
	    {"m", G_GUINT64_CONSTANT(60000000000)},
	    {"h", G_GUINT64_CONSTANT(3600000000000)},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0) {
			*unit = units[i].ns;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean
rc_duration_parse_ns(const char *text, gint64 *ns, GError **error)
{
	g_return_val_if_fail(text != NULL, FALSE);
	const char *s = text;
	gboolean neg = FALSE;
	guint64 d = 0;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return TRUE;
	}
	if (*s == '\0')
		return fail_invalid(text, error);
	while (*s != '\0') {
		guint64 v = 0, f = 0, unit = 0;
		double scale = 1;
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return fail_invalid(text, error);
		const char *before = s;
		if (!leading_int(&s, &v))
			return fail_invalid(text, error);
		gboolean pre = s != before;
		gboolean post = FALSE;
		if (*s == '.') {
			s++;
			const char *fb = s;
			leading_fraction(&s, &f, &scale);
			post = s != fb;
		}
		if (!pre && !post)
			return fail_invalid(text, error);
		gsize i = 0;
		while (s[i] != '\0' && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
			i++;
		if (i == 0) {
			g_autofree char *q = time_quote(text);
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "time: missing unit in duration %s", q);
			return FALSE;
		}
		if (!unit_value(s, i, &unit)) {
			g_autofree char *u = g_strndup(s, i);
			g_autofree char *qu = time_quote(u);
			g_autofree char *q = time_quote(text);
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "time: unknown unit %s in duration %s", qu, q);
			return FALSE;
		}
		s += i;
		if (v > NS_MAX / unit)
			return fail_invalid(text, error);
		v *= unit;
		if (f > 0) {
			v += (guint64)((double)f * ((double)unit / scale));
			if (v > NS_MAX)
				return fail_invalid(text, error);
		}
		d += v;
		if (d > NS_MAX)
			return fail_invalid(text, error);
	}
	if (neg) {
		*ns = d == NS_MAX ? G_MININT64 : -(gint64)d;
		return TRUE;
	}
	if (d > NS_MAX - 1)
		return fail_invalid(text, error);
	*ns = (gint64)d;
	return TRUE;
}

gboolean
rc_duration_parse(const char *text, gint64 *us)
{
	gint64 ns = 0;
	if (text == NULL || !rc_duration_parse_ns(text, &ns, NULL))
		return FALSE;
	*us = ns / 1000;
	return TRUE;
}

/* Go's fmtFrac: prepend the fraction of v with prec digits (trailing zeros
 * and the point omitted); returns v / 10^prec. */
static guint64
prepend_frac(GString *out, guint64 v, int prec)
{
	gboolean print = FALSE;
	for (int i = 0; i < prec; i++) {
		guint64 digit = v % 10;
		print = print || digit != 0;
		if (print)
			g_string_prepend_c(out, (char)('0' + digit));
		v /= 10;
	}
	if (print)
		g_string_prepend_c(out, '.');
	return v;
}

static void
prepend_int(GString *out, guint64 v)
{
	char buf[32];
	g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
	g_string_prepend(out, buf);
}

char *
rc_duration_format_go(gint64 ns)
{
	GString *out = g_string_new(NULL);
	gboolean neg = ns < 0;
	guint64 u = neg ? (guint64)0 - (guint64)ns : (guint64)ns;

	if (u < G_GUINT64_CONSTANT(1000000000)) {
		int prec;
		if (u == 0) {
			g_string_free(out, TRUE);
			return g_strdup("0s");
		} else if (u < 1000) {
			prec = 0;
			g_string_assign(out, "ns");
		} else if (u < 1000000) {
			prec = 3;
			g_string_assign(out, "\xc2\xb5s");
		} else {
			prec = 6;
			g_string_assign(out, "ms");
		}
		u = prepend_frac(out, u, prec);
		prepend_int(out, u);
	} else {
		g_string_assign(out, "s");
		u = prepend_frac(out, u, 9);
		prepend_int(out, u % 60);
		u /= 60;
		if (u > 0) {
			g_string_prepend_c(out, 'm');
			prepend_int(out, u % 60);
			u /= 60;
			if (u > 0) {
				g_string_prepend_c(out, 'h');
				prepend_int(out, u);
			}
		}
	}
	if (neg)
		g_string_prepend_c(out, '-');
	return g_string_free(out, FALSE);
}
