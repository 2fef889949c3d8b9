/*
 * STIX 2.1 validation of the STIX Domain Objects (section 4) and the STIX
 * Relationship Objects (section 5): one property table per type and the
 * rules between properties the specification states in words (valid_until
 * after valid_from, latitude with longitude, objects XOR object_refs, ...).
 *
 * Not for: common properties (stix-validate.c) or the pattern grammar,
 * which fh_pattern_parse owns; this file only calls it.
 */
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/pattern.h"
#include "stix/stix-internal.h"

/* ==== shared rows ======================================================== */

const fh__stix_prop fh__stix_kill_chain_phase[] = {
    P_STR_R("kill_chain_name"),
    P_STR_R("phase_name"),
    P_END,
};

#define KILL_CHAIN P_OBJS("kill_chain_phases", fh__stix_kill_chain_phase)

/* ==== rules ============================================================== */

static void seen_order(fh__stix_vctx *v, const json_t *o)
{
    fh__stix_check_order(v, o, "first_seen", "last_seen", false);
}

/* True when s is lower case with hyphens between words (no spaces or
 * underscores), as sections 2.11 and 4.12 ask. */
static bool lower_hyphenated(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((*p >= 'A' && *p <= 'Z') || *p == ' ' || *p == '_')
            return false;
    return true;
}

static void kill_chain_style(fh__stix_vctx *v, const json_t *o)
{
    const json_t *list = json_object_get(o, "kill_chain_phases");
    size_t i;
    json_t *k;
    char ip[FH__STIX_PATH_MAX], kp[FH__STIX_PATH_MAX];
    if (!json_is_array(list))
        return;
    json_array_foreach(list, i, k)
    {
        static const char *const names[] = {"kill_chain_name", "phase_name"};
        fh__stix_path_index(ip, sizeof ip, "$.kill_chain_phases", i);
        for (size_t j = 0; j < 2; j++) {
            const char *s = fh_json_str(k, names[j]);
            if (s && !lower_hyphenated(s)) {
                fh__stix_path_key(kp, sizeof kp, ip, names[j]);
                fh__stix_warning(v, kp,
                                 "SHOULD be lower case with hyphens between words (section "
                                 "2.11)");
            }
        }
    }
}

static void pattern_check(fh__stix_vctx *v, const json_t *o)
{
    const json_t *pt = json_object_get(o, "pattern");
    const char *type = fh_json_str(o, "pattern_type");
    if (!json_is_string(pt) || type == NULL || strcmp(type, "stix") != 0)
        return;
    fh_pattern *tree = NULL;
    fh_pattern_error err;
    memset(&err, 0, sizeof err);
    fh_err rc = fh_pattern_parse(json_string_value(pt), json_string_length(pt),
                                 v->opts->max_pattern_len, &tree, &err);
    if (rc == FH_ERR_LIMIT)
        fh__stix_error(v, "$.pattern", "is %zu bytes; the limit is %zu (max_pattern_len)",
                       json_string_length(pt),
                       v->opts->max_pattern_len ? v->opts->max_pattern_len
                                                : FH_STIX_DEFAULT_MAX_PATTERN_LEN);
    else if (rc != FH_OK)
        fh__stix_error(v, "$.pattern", "column %zu: %s", err.column,
                       err.message[0] ? err.message : "not a valid STIX pattern");
    fh_pattern_free(tree);
}

static void kill_chain_rules(fh__stix_vctx *v, const json_t *o)
{
    kill_chain_style(v, o);
}

static void seen_and_kill_chain(fh__stix_vctx *v, const json_t *o)
{
    seen_order(v, o);
    kill_chain_style(v, o);
}

static void indicator_rules(fh__stix_vctx *v, const json_t *o)
{
    kill_chain_style(v, o);
    fh__stix_check_order(v, o, "valid_from", "valid_until", true);
    pattern_check(v, o);
}

static void malware_rules(fh__stix_vctx *v, const json_t *o)
{
    seen_and_kill_chain(v, o);
    if (json_is_true(json_object_get(o, "is_family")) && !json_object_get(o, "name"))
        fh__stix_error(v, "$.name", "is required when is_family is true (section 4.11)");
}

static void location_rules(fh__stix_vctx *v, const json_t *o)
{
    bool lat = json_object_get(o, "latitude") != NULL;
    bool lon = json_object_get(o, "longitude") != NULL;
    if (lat && !lon)
        fh__stix_error(v, "$.longitude", "is required when latitude is present (section 4.10)");
    if (lon && !lat)
        fh__stix_error(v, "$.latitude", "is required when longitude is present (section 4.10)");
    if (json_object_get(o, "precision") && !(lat && lon))
        fh__stix_error(v, "$.precision",
                       "needs both latitude and longitude to be present (section 4.10)");
    if (!json_object_get(o, "region") && !json_object_get(o, "country") && !(lat && lon))
        fh__stix_error(v, "$",
                       "a location needs at least one of region, country, or latitude and "
                       "longitude (section 4.10)");
    const char *country = fh_json_str(o, "country");
    if (country) {
        bool iso = strlen(country) == 2;
        for (const char *p = country; iso && *p; p++)
            iso = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
        if (!iso)
            fh__stix_warning(v, "$.country", "SHOULD be an ISO 3166-1 alpha-2 code");
    }
}

static void malware_analysis_rules(fh__stix_vctx *v, const json_t *o)
{
    const char *product = fh_json_str(o, "product");
    if (product && !lower_hyphenated(product))
        fh__stix_warning(v, "$.product",
                         "product names SHOULD be lower case with words separated by '-' "
                         "(section 4.12)");
    if (!json_object_get(o, "result") && !json_object_get(o, "analysis_sco_refs"))
        fh__stix_error(v, "$", "one of result or analysis_sco_refs must be present (section 4.12)");
    fh__stix_warn_order(v, o, "analysis_started", "analysis_ended");
}

static void observed_data_rules(fh__stix_vctx *v, const json_t *o)
{
    fh__stix_check_order(v, o, "first_observed", "last_observed", false);
    const json_t *objs = json_object_get(o, "objects");
    const json_t *refs = json_object_get(o, "object_refs");
    if (objs && refs)
        fh__stix_error(v, "$.objects",
                       "must not be present together with object_refs (section 4.14)");
    if (!objs && !refs)
        fh__stix_error(v, "$", "needs object_refs (or the deprecated objects) (section 4.14)");
    if (objs) {
        fh__stix_warning(v, "$.objects", "is deprecated; use object_refs (section 2.13)");
        if (!json_is_object(objs) || json_object_size(objs) == 0) {
            fh__stix_error(v, "$.objects",
                           "must be a dictionary holding at least one object (section 4.14)");
        } else {
            const char *key;
            json_t *sco;
            char kp[FH__STIX_PATH_MAX];
            json_object_foreach((json_t *)objs, key, sco)
            {
                fh__stix_path_key(kp, sizeof kp, "$.objects", key);
                if (!json_is_object(sco) || !json_is_string(json_object_get(sco, "type")))
                    fh__stix_error(v, kp, "must be a Cyber-observable Object with a type");
            }
        }
    }
    if (json_is_array(refs) && json_array_size(refs) > 0) {
        size_t i;
        json_t *r;
        bool sco = false;
        json_array_foreach(refs, i, r)
        {
            const char *s = json_string_value(r);
            if (s && fh_stix_id_valid(s, NULL)) {
                char t[251];
                size_t n = strlen(s) - 38;
                memcpy(t, s, n);
                t[n] = '\0';
                fh__stix_class c = fh__stix_class_of(t);
                if (c == FH__STIX_SCO || c == FH__STIX_CUSTOM)
                    sco = true;
            }
        }
        if (!sco)
            fh__stix_error(v, "$.object_refs",
                           "must contain at least one SCO reference (section 4.14)");
    }
}

static void relationship_rules(fh__stix_vctx *v, const json_t *o)
{
    const char *rt = fh_json_str(o, "relationship_type");
    if (rt) {
        bool ok = *rt != '\0';
        for (const char *p = rt; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
        if (!ok)
            fh__stix_error(v, "$.relationship_type",
                           "must be ASCII a-z 0-9 and hyphen (section 5.1)");
        else if (strlen(rt) < 3 || strlen(rt) > 250)
            fh__stix_error(v, "$.relationship_type",
                           "must be 3..250 characters long (section 3.1)");
    }
    fh__stix_check_order(v, o, "start_time", "stop_time", true);
    /* Section 3.7: derived-from and duplicate-of join objects of one type. */
    const char *src = fh_json_str(o, "source_ref"), *dst = fh_json_str(o, "target_ref");
    if (rt && src && dst && (strcmp(rt, "derived-from") == 0 || strcmp(rt, "duplicate-of") == 0) &&
        fh_stix_id_valid(src, NULL) && fh_stix_id_valid(dst, NULL) &&
        (strlen(src) != strlen(dst) || memcmp(src, dst, strlen(src) - 38) != 0))
        fh__stix_warning(v, "$.target_ref",
                         "%s joins objects of the same type (section 3.7); source and target "
                         "differ",
                         rt);
}

static void sighting_rules(fh__stix_vctx *v, const json_t *o)
{
    seen_order(v, o);
    /* The errata's table gives summary the type string while its text says
     * "Default value is false": fenghuo takes the text (a boolean) and
     * tolerates the table's reading with a warning. */
    const json_t *s = json_object_get(o, "summary");
    if (s && json_is_string(s))
        fh__stix_warning(v, "$.summary", "should be a boolean (true or false), not a string");
    else if (s && !json_is_boolean(s))
        fh__stix_error(v, "$.summary", "must be a boolean (true or false)");
}

/* ==== tables ============================================================= */

/* Open vocabularies of section 10 (see P_OV in stix-internal.h). */
#define OV_MOTIVATION                                                                              \
    "@attack-motivation-ov accidental coercion dominance ideology notoriety organizational-gain "  \
    "personal-gain personal-satisfaction revenge unpredictable"
#define OV_RESOURCE "@attack-resource-level-ov individual club contest team organization government"
#define OV_GROUPING "@grouping-context-ov suspicious-activity malware-analysis unspecified"
#define OV_IDCLASS  "@identity-class-ov individual group system organization class unknown"
#define OV_IMPL                                                                                    \
    "@implementation-language-ov applescript bash c c++ c# go java javascript lua objective-c "    \
    "perl php powershell python ruby rust scala swift typescript visual-basic x86-32 x86-64"
#define OV_INDTYPE                                                                                 \
    "@indicator-type-ov anomalous-activity anonymization benign compromised malicious-activity "   \
    "attribution unknown"
#define OV_SECTOR                                                                                  \
    "@industry-sector-ov agriculture aerospace automotive chemical commercial communications "     \
    "construction defense education energy entertainment financial-services government "           \
    "emergency-services government-local government-national government-public-services "          \
    "government-regional healthcare hospitality-leisure infrastructure dams nuclear water "        \
    "insurance legal manufacturing mining non-profit pharmaceuticals retail technology "           \
    "telecommunications transportation utilities"
#define OV_INFRA                                                                                   \
    "@infrastructure-type-ov amplification anonymization botnet command-and-control "              \
    "control-system exfiltration firewall hosting-malware hosting-target-lists phishing "          \
    "reconnaissance routers-switches staging workstation unknown"
#define OV_CAPAB                                                                                   \
    "@malware-capabilities-ov accesses-remote-machines anti-debugging anti-disassembly "           \
    "anti-emulation anti-memory-forensics anti-sandbox anti-vm captures-input-peripherals "        \
    "captures-output-peripherals captures-system-state-data cleans-traces-of-infection "           \
    "commits-fraud communicates-with-c2 compromises-data-availability compromises-data-integrity " \
    "compromises-system-availability controls-local-machine degrades-security-software "           \
    "degrades-system-updates determines-c2-server emails-spam escalates-privileges evades-av "     \
    "exfiltrates-data fingerprints-host hides-artifacts hides-executing-code infects-files "       \
    "infects-remote-machines installs-other-components persists-after-system-reboot "              \
    "prevents-artifact-access prevents-artifact-deletion probes-network-environment "              \
    "self-modifies steals-authentication-credentials violates-system-operational-integrity"
#define OV_RESULT "@malware-result-ov malicious suspicious benign unknown"
#define OV_MALTYPE                                                                                 \
    "@malware-type-ov adware backdoor bot bootkit ddos downloader dropper exploit-kit keylogger "  \
    "ransomware remote-access-trojan resource-exploitation rogue-security-software rootkit "       \
    "screen-capture spyware trojan unknown virus webshell wiper worm"
#define OV_PATTERN "@pattern-type-ov stix pcre sigma snort suricata yara"
#define OV_ARCH    "@processor-architecture-ov alpha arm ia-64 mips powerpc sparc x86 x86-64"
#define OV_REGION                                                                                  \
    "@region-ov africa eastern-africa middle-africa northern-africa southern-africa "              \
    "western-africa americas caribbean central-america latin-america-caribbean northern-america "  \
    "south-america asia central-asia eastern-asia southern-asia south-eastern-asia western-asia "  \
    "europe eastern-europe northern-europe southern-europe western-europe oceania antarctica "     \
    "australia-new-zealand melanesia micronesia polynesia"
#define OV_REPORT                                                                                  \
    "@report-type-ov attack-pattern campaign identity incident indicator intrusion-set malware "   \
    "observed-data threat-actor threat-report tool vulnerability"
#define OV_TATYPE                                                                                  \
    "@threat-actor-type-ov activist competitor crime-syndicate criminal hacker "                   \
    "insider-accidental insider-disgruntled nation-state private-sector sensationalist spy "       \
    "terrorist unknown"
#define OV_TAROLE                                                                                  \
    "@threat-actor-role-ov agent director independent infrastructure-architect "                   \
    "infrastructure-operator malware-author sponsor"
#define OV_SOPH                                                                                    \
    "@threat-actor-sophistication-ov none minimal intermediate advanced expert innovator "         \
    "strategic"
#define OV_TOOL                                                                                    \
    "@tool-type-ov denial-of-service exploitation information-gathering network-capture "          \
    "credential-exploitation remote-access vulnerability-scanning unknown"

#define NAME_DESC P_STR_R("name"), P_STR("description")

static const fh__stix_prop attack_pattern[] = {
    NAME_DESC,
    P_STRS("aliases"),
    KILL_CHAIN,
    P_END,
};
static const fh__stix_prop campaign[] = {
    NAME_DESC,           P_STRS("aliases"),  P_TIME("first_seen"),
    P_TIME("last_seen"), P_STR("objective"), P_END,
};
static const fh__stix_prop course_of_action[] = {
    NAME_DESC,
    P_RESERVED("action"),
    P_END,
};
static const fh__stix_prop grouping[] = {
    P_STR_R("name"),
    P_STR("description"),
    P_OV_R("context", OV_GROUPING),
    P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop identity[] = {
    NAME_DESC,
    P_STRS("roles"),
    P_OV("identity_class", OV_IDCLASS),
    P_OVS("sectors", OV_SECTOR),
    P_STR("contact_information"),
    P_END,
};
static const fh__stix_prop incident[] = {
    NAME_DESC,
    P_END,
};
static const fh__stix_prop indicator[] = {
    P_STR("name"),
    P_STR("description"),
    P_OVS("indicator_types", OV_INDTYPE),
    P_STR_R("pattern"),
    P_OV_R("pattern_type", OV_PATTERN),
    P_STR("pattern_version"),
    P_TIME_R("valid_from"),
    P_TIME("valid_until"),
    KILL_CHAIN,
    P_END,
};
static const fh__stix_prop infrastructure[] = {
    NAME_DESC,
    P_OVS("infrastructure_types", OV_INFRA),
    P_STRS("aliases"),
    KILL_CHAIN,
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_END,
};
static const fh__stix_prop intrusion_set[] = {
    NAME_DESC,
    P_STRS("aliases"),
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_STRS("goals"),
    P_OV("resource_level", OV_RESOURCE),
    P_OV("primary_motivation", OV_MOTIVATION),
    P_OVS("secondary_motivations", OV_MOTIVATION),
    P_END,
};
static const fh__stix_prop location[] = {
    P_STR("name"),
    P_STR("description"),
    P_FLOAT_RANGE("latitude", -90.0, 90.0),
    P_FLOAT_RANGE("longitude", -180.0, 180.0),
    P_FLOAT("precision"),
    P_OV("region", OV_REGION),
    P_STR("country"),
    P_STR("administrative_area"),
    P_STR("city"),
    P_STR("street_address"),
    P_STR("postal_code"),
    P_END,
};
static const fh__stix_prop malware[] = {
    P_STR("name"),
    P_STR("description"),
    P_OVS("malware_types", OV_MALTYPE),
    P_BOOL("is_family"),
    P_STRS("aliases"),
    KILL_CHAIN,
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_IDS("operating_system_refs", "software"),
    P_OVS("architecture_execution_envs", OV_ARCH),
    P_OVS("implementation_languages", OV_IMPL),
    P_OVS("capabilities", OV_CAPAB),
    P_IDS("sample_refs", "file artifact"),
    P_END,
};
static const fh__stix_prop malware_analysis[] = {
    P_STR_R("product"),
    P_STR("version"),
    P_ID("host_vm_ref", "software"),
    P_ID("operating_system_ref", "software"),
    P_IDS("installed_software_refs", "software"),
    P_STR("configuration_version"),
    P_STRS("modules"),
    P_STR("analysis_engine_version"),
    P_STR("analysis_definition_version"),
    P_TIME("submitted"),
    P_TIME("analysis_started"),
    P_TIME("analysis_ended"),
    P_STR("result_name"),
    P_OV("result", OV_RESULT),
    P_IDS("analysis_sco_refs", "<sco>"),
    P_ID("sample_ref", "file network-traffic artifact"),
    P_END,
};
static const fh__stix_prop note[] = {
    P_STR("abstract"),
    P_STR_R("content"),
    P_STRS("authors"),
    P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop observed_data[] = {
    P_TIME_R("first_observed"),
    P_TIME_R("last_observed"),
    P_INT_RANGE("number_observed", 1, 999999999, true),
    P_ANY("objects"),
    P_IDS("object_refs", "<sco-sro>"),
    P_END,
};
static const fh__stix_prop opinion[] = {
    P_STR("explanation"),
    P_STRS("authors"),
    P_ENUM_R("opinion", "strongly-disagree disagree neutral agree strongly-agree"),
    P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop report[] = {
    NAME_DESC,
    P_OVS("report_types", OV_REPORT),
    P_TIME_R("published"),
    P_IDS_R("object_refs", "<any>"),
    P_END,
};
static const fh__stix_prop threat_actor[] = {
    NAME_DESC,
    P_OVS("threat_actor_types", OV_TATYPE),
    P_STRS("aliases"),
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_OVS("roles", OV_TAROLE),
    P_STRS("goals"),
    P_OV("sophistication", OV_SOPH),
    P_OV("resource_level", OV_RESOURCE),
    P_OV("primary_motivation", OV_MOTIVATION),
    P_OVS("secondary_motivations", OV_MOTIVATION),
    P_OVS("personal_motivations", OV_MOTIVATION),
    P_END,
};
static const fh__stix_prop tool[] = {
    NAME_DESC,  P_OVS("tool_types", OV_TOOL), P_STRS("aliases"),
    KILL_CHAIN, P_STR("tool_version"),        P_END,
};
static const fh__stix_prop vulnerability[] = {
    NAME_DESC,
    P_END,
};
static const fh__stix_prop relationship[] = {
    P_STR_R("relationship_type"),
    P_STR("description"),
    P_ID_R("source_ref", "<sdo-sco>"),
    P_ID_R("target_ref", "<sdo-sco>"),
    P_TIME("start_time"),
    P_TIME("stop_time"),
    P_END,
};
static const fh__stix_prop sighting[] = {
    P_STR("description"),
    P_TIME("first_seen"),
    P_TIME("last_seen"),
    P_INT_RANGE("count", 0, 999999999, false),
    P_ID_R("sighting_of_ref", "<sdo>"),
    P_IDS("observed_data_refs", "observed-data"),
    P_IDS("where_sighted_refs", "identity location"),
    P_ANY("summary"),
    P_END,
};

const fh__stix_type fh__stix_sdo_types[] = {
    {"attack-pattern", FH__STIX_SDO, attack_pattern, kill_chain_rules, NULL},
    {"campaign", FH__STIX_SDO, campaign, seen_order, NULL},
    {"course-of-action", FH__STIX_SDO, course_of_action, NULL, NULL},
    {"grouping", FH__STIX_SDO, grouping, NULL, NULL},
    {"identity", FH__STIX_SDO, identity, NULL, NULL},
    {"incident", FH__STIX_SDO, incident, NULL, NULL},
    {"indicator", FH__STIX_SDO, indicator, indicator_rules, NULL},
    {"infrastructure", FH__STIX_SDO, infrastructure, seen_and_kill_chain, NULL},
    {"intrusion-set", FH__STIX_SDO, intrusion_set, seen_order, NULL},
    {"location", FH__STIX_SDO, location, location_rules, NULL},
    {"malware", FH__STIX_SDO, malware, malware_rules, NULL},
    {"malware-analysis", FH__STIX_SDO, malware_analysis, malware_analysis_rules, NULL},
    {"note", FH__STIX_SDO, note, NULL, NULL},
    {"observed-data", FH__STIX_SDO, observed_data, observed_data_rules, NULL},
    {"opinion", FH__STIX_SDO, opinion, NULL, NULL},
    {"report", FH__STIX_SDO, report, NULL, NULL},
    {"threat-actor", FH__STIX_SDO, threat_actor, seen_order, NULL},
    {"tool", FH__STIX_SDO, tool, kill_chain_rules, NULL},
    {"vulnerability", FH__STIX_SDO, vulnerability, NULL, NULL},
    {"relationship", FH__STIX_SRO, relationship, relationship_rules, NULL},
    {"sighting", FH__STIX_SRO, sighting, sighting_rules, NULL},
    {NULL, 0, NULL, NULL, NULL},
};
