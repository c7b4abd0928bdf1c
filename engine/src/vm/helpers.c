// The only C in Kiln: a setjmp/longjmp pair, because Rust cannot express a
// non-local return to a frame that called into JIT code.
//
// `kiln_setjmp_call` runs `body(data)` with a jump buffer published in
// `*slot`; a trap (from the signal handler) calls `kiln_longjmp` with that
// buffer and `kiln_setjmp_call` returns 1. Only wasm frames (which own no
// destructors) and `body` (which owns none either) are jumped over.
#include <setjmp.h>

typedef void (*kiln_body)(void *);

int kiln_setjmp_call(void **slot, kiln_body body, void *data) {
    sigjmp_buf buf;
    void *prev = *slot;
    // savemask = 0: saving the signal mask costs a syscall per call; the
    // handler runs with SA_NODEFER so nothing is left blocked.
    if (sigsetjmp(buf, 0) == 0) {
        *slot = &buf;
        body(data);
        *slot = prev;
        return 0;
    }
    *slot = prev;
    return 1;
}

void kiln_longjmp(void *buf) {
    siglongjmp(*(sigjmp_buf *)buf, 1);
}
