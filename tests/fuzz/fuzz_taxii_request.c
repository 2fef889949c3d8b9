/*
 * Fuzz target: the hub's whole request handling (routing, negotiation,
 * authentication, filters, next tokens, envelope parsing and validation,
 * store queries and writes) on a real store in a temporary folder.
 *
 * Input: lines "METHOD PATH", "QUERY" (k=v&k=v, decoded), "ACCEPT",
 * "CONTENT-TYPE", "AUTHORIZATION", then the body. An empty header line means
 * the header is absent; "@TOKEN@" in the Authorization line becomes the token
 * of an organization with read and write access to collection
 * 11111111-2222-4333-8444-555555555555.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fenghuo/taxii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fh_store *g_store;
static fh_taxii_hub *g_hub;
static char g_dir[64];
static char g_token[FH_STORE_TOKEN_STRLEN];

static void teardown(void)
{
    fh_taxii_hub_free(g_hub);
    fh_store_close(g_store);
    char *cmd = fh_xasprintf("rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", g_dir);
    free(cmd);
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/fh-fuzz-taxii-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        abort();
    fh_log_set_level(FH_LOG_OFF);
    char org[FH_STORE_ID_STRLEN], id[FH_STORE_ID_STRLEN];
    if (fh_store_open(g_dir, 2, &g_store, NULL) != FH_OK ||
        fh_store_org_add(g_store, "fuzz", org) != FH_OK ||
        fh_store_token_new(g_store, "fuzz", NULL, false, g_token, id) != FH_OK ||
        fh_store_collection_add(g_store, "c", NULL, "11111111-2222-4333-8444-555555555555", id) !=
            FH_OK ||
        fh_store_grant(g_store, id, "fuzz", true, true) != FH_OK)
        abort();
    fh_taxii_config cfg = {.max_content_length = 1 << 20};
    g_hub = fh_taxii_hub_new(g_store, &cfg);
    atexit(teardown);
}

/* Takes the next line of [*p, end) as a new string. */
static char *next_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    char *line = fh_xstrndup(*p, (size_t)(e - *p));
    *p = nl ? nl + 1 : end;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20))
        return 0;
    if (g_hub == NULL)
        setup();
    const char *p = (const char *)data, *end = p + size;
    char *first = next_line(&p, end), *query = next_line(&p, end);
    char *accept = next_line(&p, end), *ctype = next_line(&p, end);
    char *auth = next_line(&p, end);
    char *path = strchr(first, ' ');
    if (path)
        *path++ = '\0';
    char *authz = auth;
    char *tok = strstr(auth, "@TOKEN@");
    if (tok) {
        *tok = '\0';
        authz = fh_xasprintf("%s%s%s", auth, g_token, tok + 7);
    }
    fh_taxii_param params[32];
    size_t n = 0;
    for (char *q = query; q && *q && n < 32;) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(q, '=');
        if (eq)
            *eq = '\0';
        params[n].key = q;
        params[n].value = eq ? eq + 1 : "";
        n++;
        q = amp ? amp + 1 : NULL;
    }
    fh_taxii_request req = {.method = first,
                            .path = path ? path : "",
                            .params = params,
                            .n_params = n,
                            .accept = accept[0] ? accept : NULL,
                            .content_type = ctype[0] ? ctype : NULL,
                            .authorization = authz[0] ? authz : NULL,
                            .body = p,
                            .body_len = (size_t)(end - p)};
    fh_taxii_response resp;
    fh_taxii_response_init(&resp);
    fh_taxii_handle(g_hub, &req, &resp);
    if (resp.status < 200 || resp.status > 599)
        abort();
    fh_taxii_response_cleanup(&resp);
    if (authz != auth)
        free(authz);
    free(first);
    free(query);
    free(accept);
    free(ctype);
    free(auth);
    return 0;
}
