/* rc-ctl-tls.c: TLS for receptorctl through core/rc-tls.h. */
#include "config.h"

#include "rc-ctl-tls.h"

#include "rc-control-private.h"
#if RC_CONTROL_WITH_TLS
#include "rc-tls.h"
#endif

GIOStream *
rc_ctl_tls_wrap(GIOStream *base, const char *host, const char *rootcas, const char *cert,
		const char *key, gboolean insecureskipverify, GError **error)
{
#if RC_CONTROL_WITH_TLS
	g_autoptr(RcTlsConfig) config = NULL;

	/* a client certificate only when both are given (control.md 5.2) */
	if (cert == NULL || key == NULL)
		cert = key = NULL;
	config = rc_tls_config_new_ctl_client(rootcas, cert, key, insecureskipverify, error);
	if (config == NULL)
		return NULL;
	return rc_tls_wrap_sync(config, base, host, NULL, error);
#else
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "TLS not built");
	return NULL;
#endif
}
