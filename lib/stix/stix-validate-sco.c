/*
 * STIX 2.1 validation of the STIX Cyber-observable Objects (section 6) and
 * their predefined extensions: property tables, the value syntax of the
 * address-like objects a sensor matches on (IPv4/IPv6 address or CIDR, MAC,
 * domain name, URL, e-mail address) and the rules between properties.
 *
 * Not for: common properties or deterministic ids (stix-validate.c).
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "fenghuo/json.h"
#include "stix/stix-internal.h"

/* ==== value syntax ======================================================= */

/* Parses a decimal number without sign or leading zeros, at most max. */
static bool parse_small(const char **pp, unsigned max, unsigned *out)
{
    const char *p = *pp;
    unsigned v = 0;
    if (!(*p >= '0' && *p <= '9'))
        return false;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9')
        return false; /* leading zero: ambiguous (octal in some parsers) */
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return false;
        p++;
    }
    *pp = p;
    *out = v;
    return true;
}

bool fh__stix_ipv4_valid(const char *s, bool allow_cidr)
{
    const char *p = s;
    unsigned x;
    for (int i = 0; i < 4; i++) {
        if (!parse_small(&p, 255, &x))
            return false;
        if (i < 3 && *p++ != '.')
            return false;
    }
    if (*p == '/' && allow_cidr) {
        p++;
        if (!parse_small(&p, 32, &x))
            return false;
    }
    return *p == '\0';
}

bool fh__stix_ipv6_valid(const char *s, bool allow_cidr)
{
    char buf[64];
    struct in6_addr a;
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof buf)
        return false;
    if (slash) {
        unsigned x;
        const char *p = slash + 1;
        if (!allow_cidr || !parse_small(&p, 128, &x) || *p != '\0')
            return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* Zone ids ("%eth0") are not part of an address. */
    return strchr(buf, '%') == NULL && inet_pton(AF_INET6, buf, &a) == 1;
}

bool fh__stix_mac_valid(const char *s)
{
    /* Section 6.10: single colon-delimited, lower-case MAC-48 with zeros. */
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char c = s[i];
        if (i % 3 == 2) {
            if (c != ':')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool fh__stix_domain_valid(const char *s)
{
    /* RFC 1034 preferred name syntax, with RFC 5890 U-labels (UTF-8 bytes
     * accepted as letters). Underscores are accepted: they are common in
     * service names (_dmarc) though not in the preferred syntax. */
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        n--; /* an absolute name */
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)s[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c >= 0x80;
        if (!ok || (label == 0 && c == '-'))
            return false;
        label++;
    }
    return true;
}

bool fh__stix_url_valid(const char *s)
{
    /* RFC 3986: scheme ":" then only unreserved, reserved and %HH. */
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':' || p[1] == '\0')
        return false;
    for (p++; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%') {
            for (int k = 1; k <= 2; k++) {
                char h = p[k];
                if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                    return false;
            }
            p += 2;
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (!strchr("-._~:/?#[]@!$&'()*+,;=", c))
            return false;
    }
    return true;
}

static bool email_valid(const char *s)
{
    /* addr-spec only (no display name): local@domain. */
    const char *at = strrchr(s, '@');
    if (at == NULL || at == s || at[1] == '\0')
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
            return false;
    }
    char dom[256];
    size_t n = strlen(at + 1);
    if (n >= sizeof dom)
        return false;
    memcpy(dom, at + 1, n + 1);
    if (dom[0] == '[')
        return dom[n - 1] == ']'; /* address literal */
    return fh__stix_domain_valid(dom);
}

/* Open vocabularies of section 10 (see P_OV in stix-internal.h). */
#define OV_ACCOUNT                                                                                 \
    "@account-type-ov facebook ldap nis openid radius skype tacacs twitter unix windows-local "    \
    "windows-domain"
#define OV_PE "@windows-pebinary-type-ov dll exe sys"

/* ==== extension tables =================================================== */

#define NONNEG(n) P_INT_RANGE(n, 0, 9007199254740991.0, false)

static const fh__stix_prop archive_ext[] = {
    P_IDS_R("contains_refs", "file directory"),
    P_STR("comment"),
    P_END,
};
static const fh__stix_prop ads_type[] = {
    P_STR_R("name"),
    P_HASHES("hashes"),
    NONNEG("size"),
    P_END,
};
static const fh__stix_prop ntfs_ext[] = {
    P_STR("sid"),
    P_OBJS("alternate_data_streams", ads_type),
    P_END,
};
static const fh__stix_prop pdf_ext[] = {
    P_STR("version"), P_BOOL("is_optimized"), P_DICT("document_info_dict", FH__DV_STRING),
    P_STR("pdfid0"),  P_STR("pdfid1"),        P_END,
};
static const fh__stix_prop raster_ext[] = {
    P_INT("image_height"),
    P_INT("image_width"),
    P_INT("bits_per_pixel"),
    P_DICT("exif_tags", FH__DV_INT_OR_STRING),
    P_END,
};
static const fh__stix_prop pe_optional_header[] = {
    P_HEX("magic_hex"),
    P_INT("major_linker_version"),
    P_INT("minor_linker_version"),
    NONNEG("size_of_code"),
    NONNEG("size_of_initialized_data"),
    NONNEG("size_of_uninitialized_data"),
    P_INT("address_of_entry_point"),
    P_INT("base_of_code"),
    P_INT("base_of_data"),
    P_INT("image_base"),
    P_INT("section_alignment"),
    P_INT("file_alignment"),
    P_INT("major_os_version"),
    P_INT("minor_os_version"),
    P_INT("major_image_version"),
    P_INT("minor_image_version"),
    P_INT("major_subsystem_version"),
    P_INT("minor_subsystem_version"),
    P_HEX("win32_version_value_hex"),
    NONNEG("size_of_image"),
    NONNEG("size_of_headers"),
    P_HEX("checksum_hex"),
    P_HEX("subsystem_hex"),
    P_HEX("dll_characteristics_hex"),
    NONNEG("size_of_stack_reserve"),
    NONNEG("size_of_stack_commit"),
    NONNEG("size_of_heap_reserve"),
    NONNEG("size_of_heap_commit"),
    P_HEX("loader_flags_hex"),
    P_INT("number_of_rva_and_sizes"),
    P_HASHES("hashes"),
    P_END,
};
static const fh__stix_prop pe_section[] = {
    P_STR_R("name"), NONNEG("size"), P_FLOAT("entropy"), P_HASHES("hashes"), P_END,
};
static const fh__stix_prop pebinary_ext[] = {
    P_OV_R("pe_type", OV_PE),
    P_STR("imphash"),
    P_HEX("machine_hex"),
    P_INT("number_of_sections"),
    P_TIME("time_date_stamp"),
    P_HEX("pointer_to_symbol_table_hex"),
    P_INT("number_of_symbols"),
    NONNEG("size_of_optional_header"),
    P_HEX("characteristics_hex"),
    P_HASHES("file_header_hashes"),
    P_OBJ("optional_header", pe_optional_header),
    P_OBJS("sections", pe_section),
    P_END,
};
static const fh__stix_prop http_request_ext[] = {
    P_STR_R("request_method"),
    P_STR_R("request_value"),
    P_STR("request_version"),
    P_DICT("request_header", FH__DV_STR_LIST),
    P_INT("message_body_length"),
    P_ID("message_body_data_ref", "artifact"),
    P_END,
};
static const fh__stix_prop icmp_ext[] = {
    P_HEX_R("icmp_type_hex"),
    P_HEX_R("icmp_code_hex"),
    P_END,
};
static const fh__stix_prop socket_ext[] = {
    P_ENUM_R("address_family",
             "AF_UNSPEC AF_INET AF_IPX AF_APPLETALK AF_NETBIOS AF_INET6 AF_IRDA AF_BTH"),
    P_BOOL("is_blocking"),
    P_BOOL("is_listening"),
    P_DICT("options", FH__DV_INT),
    P_ENUM("socket_type", "SOCK_STREAM SOCK_DGRAM SOCK_RAW SOCK_RDM SOCK_SEQPACKET"),
    P_INT("socket_descriptor"),
    P_INT("socket_handle"),
    P_END,
};
static const fh__stix_prop tcp_ext[] = {
    P_HEX("src_flags_hex"),
    P_HEX("dst_flags_hex"),
    P_END,
};
static const fh__stix_prop windows_process_ext[] = {
    P_BOOL("aslr_enabled"),
    P_BOOL("dep_enabled"),
    P_STR("priority"),
    P_STR("owner_sid"),
    P_STR("windows_title"),
    P_DICT("startup_info", FH__DV_ANY),
    P_ENUM("integrity_level", "low medium high system"),
    P_END,
};
static const fh__stix_prop windows_service_ext[] = {
    P_STR("service_name"),
    P_STRS("descriptions"),
    P_STR("display_name"),
    P_STR("group_name"),
    P_ENUM("start_type", "SERVICE_AUTO_START SERVICE_BOOT_START SERVICE_DEMAND_START "
                         "SERVICE_DISABLED SERVICE_SYSTEM_ALERT"),
    P_IDS("service_dll_refs", "file"),
    P_ENUM("service_type", "SERVICE_KERNEL_DRIVER SERVICE_FILE_SYSTEM_DRIVER "
                           "SERVICE_WIN32_OWN_PROCESS SERVICE_WIN32_SHARE_PROCESS"),
    P_ENUM("service_status", "SERVICE_CONTINUE_PENDING SERVICE_PAUSE_PENDING SERVICE_PAUSED "
                             "SERVICE_RUNNING SERVICE_START_PENDING SERVICE_STOP_PENDING "
                             "SERVICE_STOPPED"),
    P_END,
};
static const fh__stix_prop unix_account_ext[] = {
    P_INT("gid"), P_STRS("groups"), P_STR("home_dir"), P_STR("shell"), P_END,
};

static const struct {
    const char *name;
    const fh__stix_prop *props;
} predefined[] = {
    {"archive-ext", archive_ext},
    {"ntfs-ext", ntfs_ext},
    {"pdf-ext", pdf_ext},
    {"raster-image-ext", raster_ext},
    {"windows-pebinary-ext", pebinary_ext},
    {"http-request-ext", http_request_ext},
    {"icmp-ext", icmp_ext},
    {"socket-ext", socket_ext},
    {"tcp-ext", tcp_ext},
    {"windows-process-ext", windows_process_ext},
    {"windows-service-ext", windows_service_ext},
    {"unix-account-ext", unix_account_ext},
};

const fh__stix_prop *fh__stix_predefined_ext(const char *name)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(predefined); i++)
        if (strcmp(predefined[i].name, name) == 0)
            return predefined[i].props;
    return NULL;
}

static size_t count_known(const json_t *o, const fh__stix_prop *table, const char *except)
{
    size_t n = 0;
    for (const fh__stix_prop *p = table; p->name; p++)
        if ((except == NULL || strcmp(p->name, except) != 0) && json_object_get(o, p->name))
            n++;
    return n;
}

void fh__stix_predefined_ext_rules(fh__stix_vctx *v, const char *name, const json_t *ext,
                                   const char *path)
{
    char kp[FH__STIX_PATH_MAX];
    const char *prio =
        strcmp(name, "windows-process-ext") == 0 ? fh_json_str(ext, "priority") : NULL;
    if (prio && (strlen(prio) < 6 || strcmp(prio + strlen(prio) - 6, "_CLASS") != 0)) {
        fh__stix_path_key(kp, sizeof kp, path, "priority");
        fh__stix_warning(v, kp, "SHOULD end in _CLASS (section 6.13.2)");
    }
    if (strcmp(name, "windows-pebinary-ext") == 0) {
        if (count_known(ext, pebinary_ext, "pe_type") == 0)
            fh__stix_error(v, path,
                           "must contain at least one property besides pe_type (section 6.7.6)");
        const json_t *oh = json_object_get(ext, "optional_header");
        if (json_is_object(oh) && count_known(oh, pe_optional_header, NULL) == 0) {
            fh__stix_path_key(kp, sizeof kp, path, "optional_header");
            fh__stix_error(v, kp, "must contain at least one property (section 6.7.6)");
        }
        const json_t *ts = json_object_get(ext, "time_date_stamp");
        fh_time t;
        if (json_is_string(ts) &&
            fh_time_parse(json_string_value(ts), json_string_length(ts), &t, NULL) == FH_OK &&
            t.nsec != 0) {
            fh__stix_path_key(kp, sizeof kp, path, "time_date_stamp");
            fh__stix_error(v, kp, "must be precise to the second (section 6.7.6)");
        }
    }
}

/* ==== rules ============================================================== */

static size_t specific_props(const json_t *o, const fh__stix_prop *table)
{
    return count_known(o, table, NULL);
}

static void address_rule(fh__stix_vctx *v, const json_t *o, bool (*ok)(const char *),
                         const char *what)
{
    const char *s = fh_json_str(o, "value");
    if (s && !ok(s)) {
        char q[FH__STIX_QUOTE_MAX];
        fh__stix_error(v, "$.value", "'%s' is not %s", fh__stix_quote(s, q), what);
    }
}

static bool ipv4_cidr(const char *s)
{
    return fh__stix_ipv4_valid(s, true);
}

static bool ipv6_cidr(const char *s)
{
    return fh__stix_ipv6_valid(s, true);
}

static void ipv4_rules(fh__stix_vctx *v, const json_t *o)
{
    address_rule(v, o, ipv4_cidr,
                 "an IPv4 address or CIDR block (dotted quad, no leading zeros, prefix 0-32)");
}

static void ipv6_rules(fh__stix_vctx *v, const json_t *o)
{
    address_rule(v, o, ipv6_cidr, "an IPv6 address or CIDR block (prefix 0-128)");
}

static void mac_rules(fh__stix_vctx *v, const json_t *o)
{
    address_rule(v, o, fh__stix_mac_valid,
                 "a MAC-48 address in lower-case colon form with leading zeros (section 6.10)");
}

static void domain_rules(fh__stix_vctx *v, const json_t *o)
{
    address_rule(v, o, fh__stix_domain_valid, "a domain name (RFC 1034, section 6.4)");
}

static void url_rules(fh__stix_vctx *v, const json_t *o)
{
    address_rule(v, o, fh__stix_url_valid, "a URL (RFC 3986, section 6.15)");
}

static void email_rules(fh__stix_vctx *v, const json_t *o)
{
    address_rule(v, o, email_valid,
                 "an e-mail address local@domain without display name (section 6.5)");
}

static void file_rules(fh__stix_vctx *v, const json_t *o)
{
    if (!json_object_get(o, "hashes") && !json_object_get(o, "name"))
        fh__stix_error(v, "$", "a file must contain at least one of hashes or name (section 6.7)");
}

static void artifact_rules(fh__stix_vctx *v, const json_t *o)
{
    const char *u = fh_json_str(o, "url");
    if (u && !fh__stix_url_valid(u))
        fh__stix_error(v, "$.url", "must be a valid URL (RFC 3986, section 6.1)");
    bool bin = json_object_get(o, "payload_bin") != NULL;
    bool url = json_object_get(o, "url") != NULL;
    if (bin && url)
        fh__stix_error(v, "$.url", "must not be present together with payload_bin (section 6.1)");
    if (!bin && !url)
        fh__stix_error(v, "$", "one of payload_bin or url must be present (section 6.1)");
    if (url && !json_object_get(o, "hashes"))
        fh__stix_error(v, "$.hashes", "is required when url is present (section 6.1)");
    if (json_object_get(o, "decryption_key") && !json_object_get(o, "encryption_algorithm"))
        fh__stix_error(v, "$.decryption_key",
                       "must not be present without encryption_algorithm (section 6.1)");
}

static void email_message_rules(fh__stix_vctx *v, const json_t *o)
{
    const json_t *mp = json_object_get(o, "is_multipart");
    if (json_is_true(mp) && json_object_get(o, "body"))
        fh__stix_error(v, "$.body", "must not be used when is_multipart is true (section 6.6)");
    if (json_is_false(mp) && json_object_get(o, "body_multipart"))
        fh__stix_error(v, "$.body_multipart",
                       "must not be used when is_multipart is false (section 6.6)");
    const json_t *parts = json_object_get(o, "body_multipart");
    size_t i;
    json_t *part;
    char ip[FH__STIX_PATH_MAX];
    if (json_is_array(parts)) {
        json_array_foreach(parts, i, part)
        {
            if (json_is_object(part) && !json_object_get(part, "body") &&
                !json_object_get(part, "body_raw_ref")) {
                fh__stix_path_index(ip, sizeof ip, "$.body_multipart", i);
                fh__stix_error(v, ip,
                               "one of body or body_raw_ref must be included (section 6.6.2)");
            }
        }
    }
}

static void network_traffic_rules(fh__stix_vctx *v, const json_t *o)
{
    if (!json_object_get(o, "src_ref") && !json_object_get(o, "dst_ref"))
        fh__stix_error(v, "$", "network-traffic must contain src_ref or dst_ref (section 6.12)");
    if (json_is_true(json_object_get(o, "is_active")) && json_object_get(o, "end"))
        fh__stix_error(v, "$.end", "must not be present when is_active is true (section 6.12)");
    fh__stix_check_order(v, o, "start", "end", false);
}

static void at_least_one(fh__stix_vctx *v, const json_t *o, const fh__stix_prop *table,
                         const char *section)
{
    if (specific_props(o, table) == 0)
        fh__stix_error(v, "$",
                       "must contain at least one property specific to this object (section %s)",
                       section);
}

/* ==== tables ============================================================= */

static const fh__stix_prop artifact[] = {
    P_STR("mime_type"),
    P_BIN("payload_bin"),
    P_STR("url"),
    P_HASHES("hashes"),
    P_ENUM("encryption_algorithm", "AES-256-GCM ChaCha20-Poly1305 mime-type-indicated"),
    P_STR("decryption_key"),
    P_END,
};
static const fh__stix_prop autonomous_system[] = {
    FH__P("number", FH__K_INT, true, NULL, NULL, 0),
    P_STR("name"),
    P_STR("rir"),
    P_END,
};
static const fh__stix_prop directory[] = {
    P_STR_R("path"), P_STR("path_enc"), P_TIME("ctime"),
    P_TIME("mtime"), P_TIME("atime"),   P_IDS("contains_refs", "file directory"),
    P_END,
};
static const fh__stix_prop domain_name[] = {
    P_STR_R("value"),
    P_IDS("resolves_to_refs", "ipv4-addr ipv6-addr domain-name"),
    P_END,
};
static const fh__stix_prop email_addr[] = {
    P_STR_R("value"),
    P_STR("display_name"),
    P_ID("belongs_to_ref", "user-account"),
    P_END,
};
static const fh__stix_prop mime_part[] = {
    P_STR("body"),
    P_ID("body_raw_ref", "artifact file"),
    P_STR("content_type"),
    P_STR("content_disposition"),
    P_END,
};
static const fh__stix_prop email_message[] = {
    P_BOOL_R("is_multipart"),
    P_TIME("date"),
    P_STR("content_type"),
    P_ID("from_ref", "email-addr"),
    P_ID("sender_ref", "email-addr"),
    P_IDS("to_refs", "email-addr"),
    P_IDS("cc_refs", "email-addr"),
    P_IDS("bcc_refs", "email-addr"),
    P_STR("message_id"),
    P_STR("subject"),
    P_STRS("received_lines"),
    P_DICT("additional_header_fields", FH__DV_STR_LIST),
    P_STR("body"),
    P_OBJS("body_multipart", mime_part),
    P_ID("raw_email_ref", "artifact"),
    P_END,
};
static const fh__stix_prop file[] = {
    P_HASHES("hashes"),
    NONNEG("size"),
    P_STR("name"),
    P_STR("name_enc"),
    P_HEX("magic_number_hex"),
    P_STR("mime_type"),
    P_TIME("ctime"),
    P_TIME("mtime"),
    P_TIME("atime"),
    P_ID("parent_directory_ref", "directory"),
    P_IDS("contains_refs", "<sco>"),
    P_ID("content_ref", "artifact"),
    P_END,
};
static const fh__stix_prop ipv4_addr[] = {
    P_STR_R("value"),
    P_IDS("resolves_to_refs", "mac-addr"),
    P_IDS("belongs_to_refs", "autonomous-system"),
    P_END,
};
static const fh__stix_prop ipv6_addr[] = {
    P_STR_R("value"),
    P_IDS("resolves_to_refs", "mac-addr"),
    P_IDS("belongs_to_refs", "autonomous-system"),
    P_END,
};
static const fh__stix_prop mac_addr[] = {
    P_STR_R("value"),
    P_END,
};
static const fh__stix_prop mutex[] = {
    P_STR_R("name"),
    P_END,
};
#define ADDR_REF "ipv4-addr ipv6-addr mac-addr domain-name"
static const fh__stix_prop network_traffic[] = {
    P_TIME("start"),
    P_TIME("end"),
    P_BOOL("is_active"),
    P_ID("src_ref", ADDR_REF),
    P_ID("dst_ref", ADDR_REF),
    P_INT_RANGE("src_port", 0, 65535, false),
    P_INT_RANGE("dst_port", 0, 65535, false),
    P_STRS_R("protocols"),
    NONNEG("src_byte_count"),
    NONNEG("dst_byte_count"),
    NONNEG("src_packets"),
    NONNEG("dst_packets"),
    P_DICT("ipfix", FH__DV_INT_OR_STRING),
    P_ID("src_payload_ref", "artifact"),
    P_ID("dst_payload_ref", "artifact"),
    P_IDS("encapsulates_refs", "network-traffic"),
    P_ID("encapsulated_by_ref", "network-traffic"),
    P_END,
};
static const fh__stix_prop process[] = {
    P_BOOL("is_hidden"),
    P_INT("pid"),
    P_TIME("created_time"),
    P_STR("cwd"),
    P_STR("command_line"),
    P_DICT("environment_variables", FH__DV_STRING),
    P_IDS("opened_connection_refs", "network-traffic"),
    P_ID("creator_user_ref", "user-account"),
    P_ID("image_ref", "file"),
    P_ID("parent_ref", "process"),
    P_IDS("child_refs", "process"),
    P_END,
};
static const fh__stix_prop software[] = {
    P_STR_R("name"), P_STR("cpe"),     P_STR("swid"), P_STRS("languages"),
    P_STR("vendor"), P_STR("version"), P_END,
};
static const fh__stix_prop url[] = {
    P_STR_R("value"),
    P_END,
};
static const fh__stix_prop user_account[] = {
    P_STR("user_id"),
    P_STR("credential"),
    P_STR("account_login"),
    P_OV("account_type", OV_ACCOUNT),
    P_STR("display_name"),
    P_BOOL("is_service_account"),
    P_BOOL("is_privileged"),
    P_BOOL("can_escalate_privs"),
    P_BOOL("is_disabled"),
    P_TIME("account_created"),
    P_TIME("account_expires"),
    P_TIME("credential_last_changed"),
    P_TIME("account_first_login"),
    P_TIME("account_last_login"),
    P_END,
};
static const fh__stix_prop registry_value[] = {
    P_STR("name"),
    P_STR("data"),
    P_ENUM("data_type", "REG_NONE REG_SZ REG_EXPAND_SZ REG_BINARY REG_DWORD "
                        "REG_DWORD_BIG_ENDIAN REG_DWORD_LITTLE_ENDIAN REG_LINK REG_MULTI_SZ "
                        "REG_RESOURCE_LIST REG_FULL_RESOURCE_DESCRIPTION "
                        "REG_RESOURCE_REQUIREMENTS_LIST REG_QWORD REG_INVALID_TYPE"),
    P_END,
};
static const fh__stix_prop registry_key[] = {
    P_STR("key"),
    P_OBJS("values", registry_value),
    P_TIME("modified_time"),
    P_ID("creator_user_ref", "user-account"),
    NONNEG("number_of_subkeys"),
    P_END,
};
static const fh__stix_prop x509_v3[] = {
    P_STR("basic_constraints"),
    P_STR("name_constraints"),
    P_STR("policy_constraints"),
    P_STR("key_usage"),
    P_STR("extended_key_usage"),
    P_STR("subject_key_identifier"),
    P_STR("authority_key_identifier"),
    P_STR("subject_alternative_name"),
    P_STR("issuer_alternative_name"),
    P_STR("subject_directory_attributes"),
    P_STR("crl_distribution_points"),
    P_STR("inhibit_any_policy"),
    P_TIME("private_key_usage_period_not_before"),
    P_TIME("private_key_usage_period_not_after"),
    P_STR("certificate_policies"),
    P_STR("policy_mappings"),
    P_END,
};
static const fh__stix_prop x509_certificate[] = {
    P_BOOL("is_self_signed"),
    P_HASHES("hashes"),
    P_STR("version"),
    P_STR("serial_number"),
    P_STR("signature_algorithm"),
    P_STR("issuer"),
    P_TIME("validity_not_before"),
    P_TIME("validity_not_after"),
    P_STR("subject"),
    P_STR("subject_public_key_algorithm"),
    P_STR("subject_public_key_modulus"),
    P_INT("subject_public_key_exponent"),
    P_OBJ("x509_v3_extensions", x509_v3),
    P_END,
};

static void process_rules(fh__stix_vctx *v, const json_t *o)
{
    if (specific_props(o, process) == 0 && !json_object_get(o, "extensions"))
        fh__stix_error(v, "$",
                       "a process must contain at least one property of its own or of its "
                       "extensions (section 6.13)");
}

static void user_account_rules(fh__stix_vctx *v, const json_t *o)
{
    if (specific_props(o, user_account) == 0 && !json_object_get(o, "extensions"))
        fh__stix_error(v, "$",
                       "a user-account must contain at least one of its properties "
                       "(section 6.16)");
}

static void registry_key_rules(fh__stix_vctx *v, const json_t *o)
{
    at_least_one(v, o, registry_key, "6.17");
    /* "The hive portion of the key MUST be fully expanded and not truncated;
     * e.g., HKEY_LOCAL_MACHINE must be used instead of HKLM." */
    static const char *const short_hives[] = {"HKLM", "HKCU", "HKCR", "HKU", "HKCC", "HKPD"};
    const char *key = fh_json_str(o, "key");
    for (size_t i = 0; key && i < FH_ARRAY_LEN(short_hives); i++) {
        size_t n = strlen(short_hives[i]);
        if (strncasecmp(key, short_hives[i], n) == 0 && (key[n] == '\\' || key[n] == '\0')) {
            fh__stix_error(v, "$.key",
                           "the hive must be written out (HKEY_LOCAL_MACHINE, not HKLM; "
                           "section 6.17)");
            break;
        }
    }
    const json_t *vals = json_object_get(o, "values");
    size_t i;
    json_t *val;
    char ip[FH__STIX_PATH_MAX];
    if (json_is_array(vals)) {
        json_array_foreach(vals, i, val)
        {
            if (json_is_object(val) && specific_props(val, registry_value) == 0) {
                fh__stix_path_index(ip, sizeof ip, "$.values", i);
                fh__stix_error(v, ip, "must contain at least one property (section 6.17.2)");
            }
        }
    }
}

static void x509_rules(fh__stix_vctx *v, const json_t *o)
{
    at_least_one(v, o, x509_certificate, "6.18");
    const json_t *ext = json_object_get(o, "x509_v3_extensions");
    if (json_is_object(ext) && specific_props(ext, x509_v3) == 0)
        fh__stix_error(v, "$.x509_v3_extensions",
                       "must contain at least one property (section 6.18.2)");
    fh__stix_warn_order(v, o, "validity_not_before", "validity_not_after");
}

/* A CPE 2.3 formatted string: "cpe:2.3:" and 11 more components, 13 in
 * all, separated by unescaped colons (NISTIR 7695 section 6.2). */
static bool cpe23_valid(const char *s)
{
    if (strncmp(s, "cpe:2.3:", 8) != 0)
        return false;
    size_t parts = 1;
    const char *start = s;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
        if (*p == ':') {
            if (p == start)
                return false; /* empty component */
            parts++;
            start = p + 1;
        }
    }
    return parts == 13 && *start != '\0' && strchr("aoh*-", s[8]) && s[9] == ':';
}

static void software_rules(fh__stix_vctx *v, const json_t *o)
{
    const char *cpe = fh_json_str(o, "cpe");
    if (cpe && !cpe23_valid(cpe))
        fh__stix_error(v, "$.cpe",
                       "must be a CPE 2.3 formatted string cpe:2.3:part:vendor:... "
                       "with 13 components (section 6.14)");
    const json_t *langs = json_object_get(o, "languages");
    size_t i;
    json_t *l;
    char ip[FH__STIX_PATH_MAX];
    if (json_is_array(langs)) {
        json_array_foreach(langs, i, l)
        {
            if (json_is_string(l) && !fh__stix_lang_valid(json_string_value(l))) {
                fh__stix_path_index(ip, sizeof ip, "$.languages", i);
                fh__stix_error(v, ip, "must be an RFC 5646 language code");
            }
        }
    }
}

/* The address-like tables hold only "value" and refs: no "at least one". */
const fh__stix_type fh__stix_sco_types[] = {
    {"artifact", FH__STIX_SCO, artifact, artifact_rules, NULL},
    {"autonomous-system", FH__STIX_SCO, autonomous_system, NULL, NULL},
    {"directory", FH__STIX_SCO, directory, NULL, NULL},
    {"domain-name", FH__STIX_SCO, domain_name, domain_rules, NULL},
    {"email-addr", FH__STIX_SCO, email_addr, email_rules, NULL},
    {"email-message", FH__STIX_SCO, email_message, email_message_rules, NULL},
    {"file", FH__STIX_SCO, file, file_rules,
     "archive-ext ntfs-ext pdf-ext raster-image-ext windows-pebinary-ext"},
    {"ipv4-addr", FH__STIX_SCO, ipv4_addr, ipv4_rules, NULL},
    {"ipv6-addr", FH__STIX_SCO, ipv6_addr, ipv6_rules, NULL},
    {"mac-addr", FH__STIX_SCO, mac_addr, mac_rules, NULL},
    {"mutex", FH__STIX_SCO, mutex, NULL, NULL},
    {"network-traffic", FH__STIX_SCO, network_traffic, network_traffic_rules,
     "http-request-ext icmp-ext socket-ext tcp-ext"},
    {"process", FH__STIX_SCO, process, process_rules, "windows-process-ext windows-service-ext"},
    {"software", FH__STIX_SCO, software, software_rules, NULL},
    {"url", FH__STIX_SCO, url, url_rules, NULL},
    {"user-account", FH__STIX_SCO, user_account, user_account_rules, "unix-account-ext"},
    {"windows-registry-key", FH__STIX_SCO, registry_key, registry_key_rules, NULL},
    {"x509-certificate", FH__STIX_SCO, x509_certificate, x509_rules, NULL},
    {NULL, 0, NULL, NULL, NULL},
};
