// Builds the setjmp/longjmp pair that traps unwind through (see
// `src/vm/helpers.c` and `src/vm/signals.rs`).
fn main() {
    println!("cargo:rerun-if-changed=src/vm/helpers.c");
    cc::Build::new()
        .file("src/vm/helpers.c")
        .warnings(true)
        .compile("kiln-helpers");
}
