/* rc-host-calls.h: prototypes of the RcHost calls implemented by core
 * modules, so rc-host.c can assemble the table.  Each module adds its own
 * block (signatures exactly as the member in receptor-plugin.h). */
#pragma once

#include "receptor/receptor-plugin.h"

/* links (rc-link.c) */

/* TLS (rc-tls.c) */

/* mesh streams (rc-stream.c) */

/* work (rc-workceptor.c) */

/* control (rc-control.c) */
