/*
 * Fuzz target: TLS ClientHello server_name extraction (lib/net/net-tls.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char sni[FH_TLS_SNI_MAX + 1];
    bool found = false;
    fh_tls_sni(data, size, sni, &found);
    if (found && (sni[0] == '\0' || strlen(sni) > FH_TLS_SNI_MAX))
        abort();
    return 0;
}
