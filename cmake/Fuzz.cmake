# libFuzzer targets (configured with clang and -DANCM_FUZZ=ON; tools/fuzz runs them).
#
# ancm_fuzz_target(<name> SOURCES <files...> [LIBS <targets...>] [INCLUDES <dirs...>]
#                  [DICT <file>] [OPTIONS <libFuzzer flags...>])
# Builds ${CMAKE_BINARY_DIR}/fuzz/<name> from SOURCES (which define
# LLVMFuzzerTestOneInput) linked with LIBS and libFuzzer's main, and lists it in
# ${CMAKE_BINARY_DIR}/fuzz/targets.tsv, which tools/fuzz reads: every target
# listed there is run, with its seed corpus fuzz/corpus/<name>/ (which must
# exist: a target without seeds starts blind), its DICT (libFuzzer -dict=) and
# OPTIONS (e.g. -max_len=8192) if given. INCLUDES reach a component's private
# headers (e.g. ${PROJECT_SOURCE_DIR}/server/src), as its unit tests do.
# Target `fuzz_targets` builds them all.

set(ANCM_FUZZ_CORPUS_ROOT ${PROJECT_SOURCE_DIR}/fuzz/corpus)
set(ANCM_FUZZ_MANIFEST ${CMAKE_BINARY_DIR}/fuzz/targets.tsv)
# A new configure lists the targets afresh.
file(WRITE ${ANCM_FUZZ_MANIFEST} "")
if(NOT TARGET fuzz_targets)
  add_custom_target(fuzz_targets)
endif()

function(ancm_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DICT" "SOURCES;LIBS;INCLUDES;OPTIONS")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "ancm_fuzz_target(${name}): SOURCES is required")
  endif()
  set(corpus ${ANCM_FUZZ_CORPUS_ROOT}/${name})
  if(NOT IS_DIRECTORY ${corpus})
    message(FATAL_ERROR "ancm_fuzz_target(${name}): no seed corpus at ${corpus}")
  endif()
  set(dict -)
  if(arg_DICT)
    get_filename_component(dict ${arg_DICT} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()

  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} ancm_fuzz_support)
  target_include_directories(${name} PRIVATE ${arg_INCLUDES})
  # libFuzzer's main(); the code under test is instrumented by the
  # -fsanitize=fuzzer-no-link that ANCM_FUZZ adds to every target.
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_dependencies(fuzz_targets ${name})

  # One line per target: name, binary, corpus, dictionary ("-" if none), options.
  list(JOIN arg_OPTIONS " " options)
  file(APPEND ${ANCM_FUZZ_MANIFEST}
       "${name}\t${CMAKE_BINARY_DIR}/fuzz/${name}\t${corpus}\t${dict}\t${options}\n")
endfunction()
