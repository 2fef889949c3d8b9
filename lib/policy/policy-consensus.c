/*
 * The arithmetic of trust and consensus (docs/SHARING.md, "Trust and
 * consensus"): weights, exponential decay, scores, the instant a score
 * falls below the threshold, confidence. Pure: the store keeps the reports.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fenghuo/consensus.h"

void fh_consensus_config_init(fh_consensus_config *c)
{
    memset(c, 0, sizeof *c);
    c->half_life_s[FH_CONSENSUS_ADDRESS] = FH_CONSENSUS_HALF_LIFE_ADDRESS_S;
    c->half_life_s[FH_CONSENSUS_DOMAIN] = FH_CONSENSUS_HALF_LIFE_DOMAIN_S;
    c->half_life_s[FH_CONSENSUS_URL] = FH_CONSENSUS_HALF_LIFE_URL_S;
    c->half_life_s[FH_CONSENSUS_HASH] = FH_CONSENSUS_HALF_LIFE_HASH_S;
    c->threshold = FH_CONSENSUS_DEFAULT_THRESHOLD;
    c->weight[FH_TRUST_LOW] = 0.25;
    c->weight[FH_TRUST_NORMAL] = 1.0;
    c->weight[FH_TRUST_HIGH] = 2.0;
    c->interval_s = FH_CONSENSUS_DEFAULT_INTERVAL_S;
}

static const char *const kind_names[FH_CONSENSUS__KINDS] = {"address", "domain", "url", "hash"};
static const char *const level_names[FH_TRUST__LEVELS] = {"low", "normal", "high"};

const char *fh_consensus_kind_name(fh_consensus_kind k)
{
    return (unsigned)k < FH_CONSENSUS__KINDS ? kind_names[k] : "?";
}

const char *fh_trust_level_name(fh_trust_level t)
{
    return (unsigned)t < FH_TRUST__LEVELS ? level_names[t] : "?";
}

fh_err fh_trust_level_parse(const char *name, fh_trust_level *out)
{
    for (unsigned i = 0; name && i < FH_TRUST__LEVELS; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (fh_trust_level)i;
            return FH_OK;
        }
    }
    return FH_ERR_INVALID;
}

fh_err fh_consensus_parse_half_life(fh_consensus_config *c, const char *text, fh_buf *err)
{
    const char *eq = text ? strchr(text, '=') : NULL;
    unsigned kind = FH_CONSENSUS__KINDS;
    for (unsigned i = 0; eq && i < FH_CONSENSUS__KINDS; i++)
        if ((size_t)(eq - text) == strlen(kind_names[i]) &&
            strncmp(text, kind_names[i], (size_t)(eq - text)) == 0)
            kind = i;
    if (kind == FH_CONSENSUS__KINDS) {
        if (err)
            fh_buf_appendf(err, "'%s': give KIND=DURATION, KIND address, domain, url or hash",
                           text ? text : "");
        return FH_ERR_USAGE;
    }
    const char *num = eq + 1;
    size_t len = strlen(num);
    int64_t unit = 1;
    char digits[32];
    if (len > 0 && strchr("smhd", num[len - 1])) {
        unit = num[len - 1] == 's'   ? 1
               : num[len - 1] == 'm' ? 60
               : num[len - 1] == 'h' ? 3600
                                     : 86400;
        len--;
    }
    int64_t v = 0;
    if (len == 0 || len >= sizeof digits) {
        v = -1;
    } else {
        memcpy(digits, num, len);
        digits[len] = '\0';
        if (fh_parse_i64(digits, 1, 3650LL * 86400, &v) != FH_OK)
            v = -1;
    }
    if (v < 0 || v * unit > 3650LL * 86400) {
        if (err)
            fh_buf_appendf(err, "'%s': the half-life is 1s to 3650d (a number with s, m, h or d)",
                           text);
        return FH_ERR_USAGE;
    }
    c->half_life_s[kind] = (double)(v * unit);
    return FH_OK;
}

double fh_consensus_decay(double age_s, double half_life_s)
{
    if (age_s <= 0)
        return 1.0;
    return exp2(-age_s / half_life_s);
}

unsigned fh_consensus_cap(unsigned points)
{
    return points < FH_CONSENSUS_OPINION_CAP ? points : FH_CONSENSUS_OPINION_CAP;
}

double fh_consensus_feedback(unsigned agree, unsigned disagree)
{
    double f = 1.0 + FH_CONSENSUS_AGREE_STEP * agree - FH_CONSENSUS_DISPUTE_STEP * disagree;
    if (f < 0)
        f = 0;
    if (f > FH_CONSENSUS_FEEDBACK_MAX)
        f = FH_CONSENSUS_FEEDBACK_MAX;
    return f;
}

double fh_consensus_trust(const fh_consensus_config *c, fh_trust_level level, double feedback)
{
    if ((unsigned)level >= FH_TRUST__LEVELS)
        level = FH_TRUST_NORMAL;
    return c->weight[level] * feedback;
}

double fh_consensus_score(const fh_consensus_report *r, size_t n, int64_t now_us,
                          double half_life_s)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += r[i].trust * fh_consensus_decay((double)(now_us - r[i].at_us) / 1e6, half_life_s);
    return s;
}

int64_t fh_consensus_until(double score, double threshold, int64_t now_us, double half_life_s)
{
    if (!(score >= threshold) || threshold <= 0)
        return now_us;
    double secs = half_life_s * log2(score / threshold);
    /* Beyond a century is "as long as anyone cares": keep it finite. */
    if (secs > 100.0 * 365 * 86400)
        secs = 100.0 * 365 * 86400;
    return now_us + (int64_t)(secs * 1e6);
}

int fh_consensus_confidence(double score, double threshold)
{
    if (!(score > 0) || !(threshold > 0))
        return 1;
    long c = lround(100.0 * score / (score + threshold));
    return c < 1 ? 1 : c > 100 ? 100 : (int)c;
}
