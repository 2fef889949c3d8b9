# Test registration: unit tests (cmocka), fuzz-corpus replay, integration tests.
# Every file that follows the naming rule is picked up; nothing to list by hand.

pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(FH_TEST_ENV
    "FENGHUO_BIN=$<TARGET_FILE:fenghuo>"
    "FH_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "FH_SPECS_DIR=${PROJECT_SOURCE_DIR}/tests/data/specs"
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

# Unit tests: tests/unit/test-<module>.c, one executable each.
file(GLOB FH_UNIT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/test-*.c)
foreach(src ${FH_UNIT_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib
                                               ${PROJECT_SOURCE_DIR}/tests/unit)
    target_link_libraries(${name} PRIVATE fenghuo_lib PkgConfig::CMOCKA)
    add_test(NAME unit/${name} COMMAND ${name})
    set_tests_properties(unit/${name} PROPERTIES ENVIRONMENT "${FH_TEST_ENV}"
                         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endforeach()

# Fuzz targets: tests/fuzz/fuzz_<parser>.c defines LLVMFuzzerTestOneInput.
# Always built with a small replay driver and run over corpus/<parser>/ by
# ctest; with FH_FUZZ=ON also built as libFuzzer binaries (<name>_libfuzzer).
file(GLOB FH_FUZZ_TARGETS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${FH_FUZZ_TARGETS})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" parser ${name})
    add_executable(${name}_replay ${src} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
    target_include_directories(${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/lib)
    target_link_libraries(${name}_replay PRIVATE fenghuo_lib)
    add_test(NAME fuzz-replay/${parser}
             COMMAND ${name}_replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${parser})
    set_tests_properties(fuzz-replay/${parser} PROPERTIES ENVIRONMENT "${FH_TEST_ENV}")
    if(FH_FUZZ)
        add_executable(${name}_libfuzzer ${src})
        target_include_directories(${name}_libfuzzer PRIVATE ${PROJECT_SOURCE_DIR}/lib)
        target_link_libraries(${name}_libfuzzer PRIVATE fenghuo_lib)
        target_link_options(${name}_libfuzzer PRIVATE -fsanitize=fuzzer)
    endif()
endforeach()

# Integration tests: tests/integration/test_*.py, Python standard library only,
# driving the real fenghuo binary.
file(GLOB FH_INTEGRATION_TESTS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/tests/integration/test_*.py)
foreach(src ${FH_INTEGRATION_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_test(NAME integration/${name} COMMAND ${Python3_EXECUTABLE} -B ${src} -v)
    set_tests_properties(integration/${name} PROPERTIES ENVIRONMENT "${FH_TEST_ENV}"
                         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/tests/integration)
endforeach()

# Repository hygiene: banned functions; formatting when clang-format exists.
add_test(NAME check/banned-functions
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-banned ${PROJECT_SOURCE_DIR})
add_test(NAME check/format
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-format ${PROJECT_SOURCE_DIR})
