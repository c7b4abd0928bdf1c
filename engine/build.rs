// Builds the setjmp/longjmp pair that traps unwind through (see
// `src/helpers.c` and `src/signals.rs`).
fn main() {
    println!("cargo:rerun-if-changed=src/helpers.c");
    cc::Build::new()
        .file("src/helpers.c")
        .warnings(true)
        .compile("kiln-helpers");
}
