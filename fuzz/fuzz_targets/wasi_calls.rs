#![no_main]

// The body lives in the library: see kiln_fuzz::targets::wasi_calls.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::fuzz(kiln_fuzz::targets::wasi_calls::run, data);
});
