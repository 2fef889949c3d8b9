/*
 * Fuzz target: NetFlow v5 (lib/flow/flow-netflow5.c).
 * The input is a sequence of length-framed datagrams (see fuzz_flow.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_flow_run(FH_FLOW_NETFLOW5, data, size);
}
