// A valid shared object that lacks ancm_handler_entry: loading it as a
// handler must fail with 500.0, not crash.
extern "C" int ancm_not_the_entry_point() { return 42; }
