/*
 * The hub's admin API: the operations of `fenghuo admin` over HTTP, as JSON,
 * for tokens created with --admin. Not part of TAXII; answers in
 * application/json with the same error body shape as TAXII errors.
 *
 *   GET    /admin/orgs/                          list organizations
 *   POST   /admin/orgs/         {"name"}         add one -> {"id"}
 *   GET    /admin/tokens/                        list tokens (never secrets)
 *   POST   /admin/tokens/       {"org","label","admin"} -> {"id","token"}
 *   DELETE /admin/tokens/{id}/                   revoke
 *   GET    /admin/collections/                   list collections
 *   POST   /admin/collections/  {"title","description","id"} -> {"id"}
 *   PUT    /admin/collections/{id}/grants/{org}/ {"read","write"}
 *   DELETE /admin/collections/{id}/grants/{org}/ revoke the grant
 *   PUT    /admin/orgs/{org}/   {"parent","attribution","trust"}  client of / named /
 *                                            trust low|normal|high
 *   GET    /admin/trust/                         each organization's trust
 *   PUT    /admin/collections/{id}/ {"default_tlp"}
 *   GET    /admin/groups/                        list sharing groups
 *   POST   /admin/groups/       {"name","members"} -> {"id"}
 *   PUT    /admin/groups/{group}/members/ {"add":[...],"remove":[...]}
 *   GET    /admin/audit/?since=TS&org=ORG        audit records
 *   GET    /admin/orgs/{org}/networks/           the organization's networks
 *   PUT    /admin/orgs/{org}/networks/ {"networks":[...]} replace them, or
 *                                      {"add":[...],"remove":[...],"clear":bool}
 *   POST   /admin/pseudonyms/rotate/             new pseudonym key
 *
 * Also here, for any token: the caller's own organization's networks
 * (fh__taxii_own_networks, /api/sharing/networks/), which only change how
 * that organization's own submissions look to others.
 */
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/policy.h"
#include "fenghuo/time.h"
#include "taxii/taxii-int.h"

#define ADMIN_JSON "application/json"

static void admin_error(fh_taxii_response *r, int status, const char *description)
{
    fh__taxii_error(r, status, description);
    r->content_type = ADMIN_JSON;
}

static void admin_json(fh_taxii_response *r, int status, json_t *v)
{
    fh__taxii_json(r, status, v);
    r->content_type = ADMIN_JSON;
}

static void store_result(fh_taxii_response *r, fh_err rc, json_t *ok_body)
{
    switch (rc) {
    case FH_OK:
        if (ok_body) {
            admin_json(r, 200, ok_body);
        } else {
            r->status = 204;
            r->content_type = ADMIN_JSON;
            fh_buf_reset(&r->body);
        }
        break;
    case FH_ERR_EXISTS:
        admin_error(r, 409, "it exists already");
        break;
    case FH_ERR_NOTFOUND:
        admin_error(r, 404, "not found");
        break;
    case FH_ERR_INVALID:
        admin_error(r, 400,
                    "a value is not valid (names and titles must not be empty; ids "
                    "are UUIDs)");
        break;
    default:
        admin_error(r, 500, "the hub's store failed");
        break;
    }
}

/* A JSON array of strings (or absent) as a new array of borrowed strings
 * (caller frees the array). FH_ERR_INVALID for anything else. */
static fh_err string_list(const json_t *v, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v == NULL)
        return FH_OK;
    if (!json_is_array(v))
        return FH_ERR_INVALID;
    const char **list = fh_xcalloc(json_array_size(v) + 1, sizeof *list);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e)) {
            free(list);
            return FH_ERR_INVALID;
        }
        list[i] = json_string_value(e);
    }
    *out = list;
    *n = json_array_size(v);
    return FH_OK;
}

/* The request body as a JSON object, or NULL after answering 400. */
static json_t *body_object(const fh_taxii_request *req, fh_taxii_response *r)
{
    fh_json_limits lim;
    fh_json_limits_init(&lim);
    lim.max_bytes = 64 * 1024;
    lim.max_depth = 4;
    json_t *v = NULL;
    fh_buf err;
    fh_buf_init(&err, 1024);
    if (fh_json_load(req->body ? req->body : "", req->body_len, &lim, &v, &err) != FH_OK ||
        !json_is_object(v)) {
        admin_error(r, 400, err.len ? err.data : "the body must be a JSON object");
        json_decref(v);
        v = NULL;
    }
    fh_buf_cleanup(&err);
    return v;
}

static void admin_route(fh_store *s, const fh_store_principal *who, const fh_taxii_request *req,
                        fh_taxii_response *resp);

/* PUT /admin/orgs/{org}/networks/ (victim privacy, docs/SHARING.md). */
static void put_networks(fh_store *s, const char *org, const fh_taxii_request *req,
                         fh_taxii_response *resp)
{
    json_t *body = body_object(req, resp);
    if (body == NULL)
        return;
    const char **replace = NULL, **add = NULL, **remove = NULL;
    size_t n_replace = 0, n_add = 0, n_remove = 0;
    json_t *networks = json_object_get(body, "networks");
    json_t *clear = json_object_get(body, "clear");
    fh_err rc = string_list(networks, &replace, &n_replace);
    if (rc == FH_OK)
        rc = string_list(json_object_get(body, "add"), &add, &n_add);
    if (rc == FH_OK)
        rc = string_list(json_object_get(body, "remove"), &remove, &n_remove);
    if (rc == FH_OK && clear && !json_is_boolean(clear))
        rc = FH_ERR_INVALID;
    const char *bad = NULL;
    if (rc == FH_OK) {
        const char **all = fh_xcalloc(n_replace + n_add + 1, sizeof *all);
        for (size_t i = 0; i < n_replace; i++)
            all[i] = replace[i];
        for (size_t i = 0; i < n_add; i++)
            all[n_replace + i] = add[i];
        rc = fh_store_org_networks(s, org, networks != NULL || json_is_true(clear), all,
                                   n_replace + n_add, remove, n_remove, &bad);
        free(all);
    }
    if (rc == FH_ERR_INVALID) {
        fh_buf msg;
        fh_buf_init(&msg, 4096);
        fh_buf_appendf(&msg,
                       "networks, add and remove take lists of IPv4/IPv6 prefixes without bits "
                       "set after their length; clear takes true or false%s%s",
                       bad ? "; not a network: " : "", bad ? bad : "");
        admin_error(resp, 400, msg.data);
        fh_buf_cleanup(&msg);
    } else if (rc == FH_ERR_LIMIT) {
        admin_error(resp, 413, "an organization may declare at most 1000 networks");
    } else {
        json_t *list = NULL;
        if (rc == FH_OK)
            rc = fh_store_org_networks_list(s, org, &list);
        store_result(resp, rc, list);
        json_decref(list);
    }
    free(replace);
    free(add);
    free(remove);
    json_decref(body);
}

/* The audit record of a request that may change something, with the answer
 * it got (docs/SHARING.md, audit). */
static void audit_change(fh_store *s, const fh_store_principal *who, const char *action,
                         const fh_taxii_request *req, const fh_taxii_response *resp)
{
    const char *m = req->method ? req->method : "";
    fh_buf endpoint, detail;
    fh_buf_init(&endpoint, 4096);
    fh_buf_init(&detail, 128 * 1024);
    fh_buf_appendf(&endpoint, "%s %s", m, req->path ? req->path : "");
    fh_buf_appendf(&detail, "HTTP %d", resp->status);
    if (req->body_len) {
        fh_buf_append_str(&detail, " ");
        fh_buf_append(&detail, req->body, req->body_len < 65536 ? req->body_len : 65536);
    }
    fh_store_audit a = {.org_id = who->org_id,
                        .token_id = who->token_id,
                        .action = action,
                        .endpoint = endpoint.data,
                        .detail = detail.data};
    if (fh_store_audit_append(s, &a) != FH_OK)
        fh_error("taxii", "cannot write the audit record of %s", endpoint.data);
    fh_buf_cleanup(&endpoint);
    fh_buf_cleanup(&detail);
}

/*
 * /api/sharing/networks/ for any token: the networks of the caller's own
 * organization (docs/SHARING.md, "Victim privacy"). GET lists them; POST
 * {"networks":[...]} adds (never replaces: several sensors of one
 * organization each add theirs); DELETE {"networks":[...]} removes those,
 * DELETE {"clear":true} removes all. Declaring networks only changes how
 * the organization's own submissions look to others (more pseudonymized,
 * or less), so no admin right is needed. Changes are audited like admin
 * actions, refused ones included.
 */
void fh__taxii_own_networks(fh_store *s, const fh_store_principal *who, const fh_taxii_request *req,
                            fh_taxii_response *resp)
{
    const char *m = req->method ? req->method : "";
    bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    bool post = strcmp(m, "POST") == 0, del = strcmp(m, "DELETE") == 0;
    if (get) {
        json_t *list = NULL;
        fh_err rc = fh_store_org_networks_list(s, who->org_id, &list);
        store_result(resp, rc, list);
        json_decref(list);
        return;
    }
    if (!post && !del) {
        admin_error(resp, 405, "networks answer GET, HEAD, POST (add) and DELETE (remove)");
        fh__taxii_header(resp, "Allow", "GET, HEAD, POST, DELETE");
        return;
    }
    json_t *body = body_object(req, resp);
    const char **list = NULL;
    size_t n = 0;
    const char *bad = NULL;
    fh_err rc = FH_ERR_INVALID;
    if (body) {
        json_t *networks = json_object_get(body, "networks");
        json_t *clear = json_object_get(body, "clear");
        rc = string_list(networks, &list, &n);
        if (rc == FH_OK && (clear && (!del || !json_is_boolean(clear))))
            rc = FH_ERR_INVALID;
        /* Nothing else: in particular no organization, which is always the
         * caller's. */
        if (rc == FH_OK && json_object_size(body) != (size_t)(networks != NULL) + (clear != NULL))
            rc = FH_ERR_INVALID;
        if (rc == FH_OK && n == 0 && !json_is_true(clear))
            rc = FH_ERR_INVALID;
        if (rc == FH_OK && n > FH_STORE_MAX_NETWORKS)
            rc = FH_ERR_LIMIT; /* before parsing them all */
        if (rc == FH_OK)
            rc = fh_store_org_networks(s, who->org_id, json_is_true(clear), post ? list : NULL,
                                       post ? n : 0, del ? list : NULL, del ? n : 0, &bad);
        if (rc == FH_ERR_INVALID) {
            fh_buf msg;
            fh_buf_init(&msg, 4096);
            fh_buf_appendf(&msg,
                           "the body is {\"networks\":[...]} (nothing else: these are your "
                           "own organization's) with at least one IPv4/IPv6 address or prefix "
                           "without bits set after its length (DELETE also takes "
                           "{\"clear\":true}: remove them all)%s%s",
                           bad ? "; not a network: " : "", bad ? bad : "");
            admin_error(resp, 400, msg.data);
            fh_buf_cleanup(&msg);
        } else if (rc == FH_ERR_LIMIT) {
            char msg[96];
            snprintf(msg, sizeof msg, "an organization may declare at most %d networks",
                     FH_STORE_MAX_NETWORKS);
            admin_error(resp, 413, msg);
        } else {
            json_t *now = NULL;
            if (rc == FH_OK)
                rc = fh_store_org_networks_list(s, who->org_id, &now);
            store_result(resp, rc, now);
            json_decref(now);
        }
    }
    free(list);
    json_decref(body);
    audit_change(s, who, "networks", req, resp);
}

/* Every admin request that may change something is audited with the answer
 * it got, refused ones included (docs/SHARING.md, audit). */
void fh__taxii_admin(fh_store *s, const fh_store_principal *who, const fh_taxii_request *req,
                     fh_taxii_response *resp)
{
    admin_route(s, who, req, resp);
    const char *m = req->method ? req->method : "";
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return;
    audit_change(s, who, "admin", req, resp);
}

static void admin_route(fh_store *s, const fh_store_principal *who, const fh_taxii_request *req,
                        fh_taxii_response *resp)
{
    if (!who->admin) {
        admin_error(resp, 403, "the admin API needs a token created with --admin");
        return;
    }
    const char *m = req->method ? req->method : "";
    bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    bool post = strcmp(m, "POST") == 0, put = strcmp(m, "PUT") == 0, del = strcmp(m, "DELETE") == 0;
    const char *path = req->path + strlen("/admin/");
    char a[64] = "", b[64] = "", c[64] = "", d[256] = "";
    int n = 0;
    /* Up to four segments, each followed by '/'. */
    {
        char *segs[4] = {a, b, c, d};
        size_t caps[4] = {sizeof a, sizeof b, sizeof c, sizeof d};
        const char *p = path;
        while (*p) {
            const char *slash = strchr(p, '/');
            if (slash == NULL || slash == p || n == 4 || (size_t)(slash - p) >= caps[n]) {
                admin_error(resp, 404, "no such admin endpoint (paths end with '/')");
                return;
            }
            memcpy(segs[n], p, (size_t)(slash - p));
            segs[n][slash - p] = '\0';
            n++;
            p = slash + 1;
        }
    }
    json_t *list = NULL, *body = NULL, *out = NULL;
    fh_err rc;
    char id[FH_STORE_ID_STRLEN];
    if (n == 1 && strcmp(a, "orgs") == 0 && get) {
        rc = fh_store_org_list(s, &list);
        store_result(resp, rc, list);
    } else if (n == 1 && strcmp(a, "orgs") == 0 && post) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        const char *name = fh_json_str(body, "name");
        rc = name ? fh_store_org_add(s, name, id) : FH_ERR_INVALID;
        out = rc ? NULL : json_pack("{s:s}", "id", id);
        store_result(resp, rc, out);
    } else if (n == 1 && strcmp(a, "tokens") == 0 && get) {
        rc = fh_store_token_list(s, &list);
        store_result(resp, rc, list);
    } else if (n == 1 && strcmp(a, "tokens") == 0 && post) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        const char *org = fh_json_str(body, "org");
        char token[FH_STORE_TOKEN_STRLEN];
        rc = org ? fh_store_token_new(s, org, fh_json_str(body, "label"),
                                      json_is_true(json_object_get(body, "admin")), token, id)
                 : FH_ERR_INVALID;
        out = rc ? NULL : json_pack("{s:s,s:s}", "id", id, "token", token);
        memset(token, 0, sizeof token);
        store_result(resp, rc, out);
    } else if (n == 2 && strcmp(a, "tokens") == 0 && del) {
        store_result(resp, fh_store_token_revoke(s, b), NULL);
    } else if (n == 1 && strcmp(a, "collections") == 0 && get) {
        rc = fh_store_collection_list(s, &list);
        store_result(resp, rc, list);
    } else if (n == 1 && strcmp(a, "collections") == 0 && post) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        const char *title = fh_json_str(body, "title");
        rc = title ? fh_store_collection_add(s, title, fh_json_str(body, "description"),
                                             fh_json_str(body, "id"), id)
                   : FH_ERR_INVALID;
        out = rc ? NULL : json_pack("{s:s}", "id", id);
        store_result(resp, rc, out);
    } else if (n == 4 && strcmp(a, "collections") == 0 && strcmp(c, "grants") == 0 && put) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        bool r = json_is_true(json_object_get(body, "read"));
        bool w = json_is_true(json_object_get(body, "write"));
        rc = r || w ? fh_store_grant(s, b, d, r, w) : FH_ERR_INVALID;
        store_result(resp, rc, NULL);
    } else if (n == 4 && strcmp(a, "collections") == 0 && strcmp(c, "grants") == 0 && del) {
        store_result(resp, fh_store_revoke(s, b, d), NULL);
    } else if (n == 2 && strcmp(a, "orgs") == 0 && put) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        json_t *parent = json_object_get(body, "parent");
        const char *attribution = fh_json_str(body, "attribution");
        json_t *trust = json_object_get(body, "trust");
        fh_trust_level level = FH_TRUST_NORMAL;
        rc = FH_OK;
        if (trust && fh_trust_level_parse(json_string_value(trust), &level) != FH_OK)
            rc = FH_ERR_INVALID;
        if ((parent && !json_is_string(parent) && !json_is_null(parent)) ||
            (attribution && strcmp(attribution, "named") != 0 &&
             strcmp(attribution, "anonymous") != 0))
            rc = FH_ERR_INVALID;
        if (rc == FH_OK && trust)
            rc = fh_store_org_set_trust(s, b, (int)level);
        if (rc == FH_OK && attribution)
            rc = fh_store_org_set_named(s, b, strcmp(attribution, "named") == 0);
        if (rc == FH_OK && parent)
            rc = fh_store_org_set_parent(s, b, json_string_value(parent));
        store_result(resp, rc, NULL);
    } else if (n == 1 && strcmp(a, "trust") == 0 && get) {
        fh_consensus_config ccfg;
        fh_consensus_config_init(&ccfg);
        rc = fh_store_org_trust_list(s, &ccfg, &list);
        store_result(resp, rc, list);
    } else if (n == 2 && strcmp(a, "collections") == 0 && put) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        fh_tlp t = FH_TLP_NONE;
        rc = fh_policy_tlp_parse(fh_json_str(body, "default_tlp"), &t);
        if (rc == FH_OK)
            rc = fh_store_collection_set_default_tlp(s, b, t);
        store_result(resp, rc, NULL);
    } else if (n == 1 && strcmp(a, "groups") == 0 && get) {
        rc = fh_store_group_list(s, NULL, &list);
        store_result(resp, rc, list);
    } else if (n == 1 && strcmp(a, "groups") == 0 && post) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        const char *name = fh_json_str(body, "name");
        const char **members = NULL;
        size_t count = 0;
        rc = string_list(json_object_get(body, "members"), &members, &count);
        char gid[FH_STORE_GROUP_ID_STRLEN];
        if (rc == FH_OK)
            rc = name ? fh_store_group_add(s, name, members, count, gid) : FH_ERR_INVALID;
        free(members);
        out = rc ? NULL : json_pack("{s:s}", "id", gid);
        store_result(resp, rc, out);
    } else if (n == 3 && strcmp(a, "groups") == 0 && strcmp(c, "members") == 0 && put) {
        if ((body = body_object(req, resp)) == NULL)
            return;
        const char **add = NULL, **remove = NULL;
        size_t n_add = 0, n_remove = 0;
        rc = string_list(json_object_get(body, "add"), &add, &n_add);
        if (rc == FH_OK)
            rc = string_list(json_object_get(body, "remove"), &remove, &n_remove);
        if (rc == FH_OK)
            rc = fh_store_group_members(s, b, add, n_add, remove, n_remove);
        free(add);
        free(remove);
        store_result(resp, rc, NULL);
    } else if (n == 3 && strcmp(a, "orgs") == 0 && strcmp(c, "networks") == 0 && get) {
        rc = fh_store_org_networks_list(s, b, &list);
        store_result(resp, rc, list);
    } else if (n == 3 && strcmp(a, "orgs") == 0 && strcmp(c, "networks") == 0 && put) {
        put_networks(s, b, req, resp);
    } else if (n == 2 && strcmp(a, "pseudonyms") == 0 && strcmp(b, "rotate") == 0 && post) {
        store_result(resp, fh_store_pseudonym_rotate(s), NULL);
    } else if (n == 1 && strcmp(a, "audit") == 0 && get) {
        int64_t since_us = 0;
        const char *org = NULL;
        rc = FH_OK;
        for (size_t i = 0; i < req->n_params; i++) {
            const char *k = req->params[i].key, *v = req->params[i].value;
            if (k && v && strcmp(k, "org") == 0) {
                org = v;
            } else if (k && v && strcmp(k, "since") == 0) {
                fh_time t;
                if (fh_time_parse(v, strlen(v), &t, NULL) != FH_OK)
                    rc = FH_ERR_INVALID;
                else
                    since_us = t.sec * 1000000 + (int64_t)(t.nsec / 1000);
            }
        }
        if (rc == FH_OK)
            rc = fh_store_audit_list(s, since_us, org, &list);
        store_result(resp, rc, list);
    } else {
        admin_error(resp, 404, "no such admin endpoint or method");
    }
    json_decref(list);
    json_decref(body);
    json_decref(out);
}
