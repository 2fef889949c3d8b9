/*
 * Internals shared by the files of lib/taxii: response helpers and the
 * admin API's entry point. Nothing outside lib/taxii includes this.
 */
#ifndef FENGHUO_TAXII_INT_H
#define FENGHUO_TAXII_INT_H

#include <jansson.h>

#include "fenghuo/taxii.h"

/* A TAXII error message (section 3.6.1) as the response body. */
void fh__taxii_error(fh_taxii_response *r, int status, const char *description);
/* v, serialized, as the response body with status. */
void fh__taxii_json(fh_taxii_response *r, int status, json_t *v);
/* Appends a response header (name is static). */
void fh__taxii_header(fh_taxii_response *r, const char *name, const char *value);

/* The admin API under /admin/: JSON for admin tokens (see docs/hub.md).
 * who is the authenticated caller. */
void fh__taxii_admin(fh_store *s, const fh_store_principal *who, const fh_taxii_request *req,
                     fh_taxii_response *resp);

/* /api/sharing/networks/: the caller's own organization's networks, JSON,
 * any token (see docs/hub.md). Changes are audited. */
void fh__taxii_own_networks(fh_store *s, const fh_store_principal *who, const fh_taxii_request *req,
                            fh_taxii_response *resp);

#endif
