#![no_main]

// The body lives in the library: see kiln_fuzz::targets::compile.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kiln_fuzz::fuzz(kiln_fuzz::targets::compile::run, data);
});
