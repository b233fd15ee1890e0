# Publishing .NET projects as part of the build (the .NET SDK's `dotnet`).
find_program(DOTNET_EXECUTABLE dotnet REQUIRED)

# ancm_dotnet_publish(<target> <project-folder> <output-folder> [<referenced-project-folder>...])
# Publishes the project in Release into the output folder whenever one of its
# sources changes, or one of the projects it references; bin/obj go under the
# build tree, never the sources.
function(ancm_dotnet_publish target project_dir output_dir)
  set(globs)
  foreach(dir IN ITEMS ${project_dir} ${ARGN})
    list(APPEND globs ${dir}/*.cs ${dir}/*.csproj ${dir}/*.json ${dir}/*.config)
  endforeach()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${globs})
  list(FILTER sources EXCLUDE REGEX "/(bin|obj)/")
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.published)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${DOTNET_EXECUTABLE} publish ${project_dir} -c Release -o ${output_dir}
            --artifacts-path ${CMAKE_BINARY_DIR}/dotnet-artifacts/${target} --nologo -v:quiet
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${sources}
    COMMENT "dotnet publish ${project_dir} -> ${output_dir}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${stamp})
endfunction()
