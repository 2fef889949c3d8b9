/*
 * Fuzz target: DNS message parsing (lib/net/net-dns.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fh_dns_msg msg;
    if (fh_dns_parse(data, size, &msg) == FH_ANOM_NONE) {
        if (strlen(msg.qname) > FH_DNS_NAME_MAX || msg.n_answers > FH_DNS_MAX_ANSWERS)
            abort();
    }
    return 0;
}
