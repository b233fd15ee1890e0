# Publishing .NET projects as part of the build (the .NET SDK's `dotnet`).
find_program(DOTNET_EXECUTABLE dotnet REQUIRED)

# ancm_dotnet_publish(<target> <project-folder> <output-folder>
#                     [REFERENCES <referenced-project-folder>...] [OPTIONS <publish-arg>...])
# Publishes the project in Release into the output folder whenever one of its
# sources changes, or one of the projects it references; bin/obj go under the
# build tree, never the sources. OPTIONS go to `dotnet publish` as they are.
function(ancm_dotnet_publish target project_dir output_dir)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "" "REFERENCES;OPTIONS")
  set(globs)
  foreach(dir IN ITEMS ${project_dir} ${arg_REFERENCES})
    list(APPEND globs ${dir}/*.cs ${dir}/*.csproj ${dir}/*.json ${dir}/*.config ${dir}/*.proto)
  endforeach()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${globs})
  list(FILTER sources EXCLUDE REGEX "/(bin|obj)/")
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.published)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${DOTNET_EXECUTABLE} publish ${project_dir} -c Release -o ${output_dir}
            --artifacts-path ${CMAKE_BINARY_DIR}/dotnet-artifacts/${target} --nologo -v:quiet
            ${arg_OPTIONS}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${sources}
    COMMENT "dotnet publish ${project_dir} -> ${output_dir}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${stamp})
endfunction()

# The runtime identifier of this machine for ReadyToRun, or "" where we do not know it.
function(ancm_dotnet_rid out)
  set(rid "")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
    set(rid linux-x64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(rid linux-arm64)
  endif()
  set(${out} ${rid} PARENT_SCOPE)
endfunction()
