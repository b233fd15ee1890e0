# `cmake --install build --prefix P` lays out a relocatable tree; the binary
# finds the rest from its own path (/proc/self/exe), so any P works:
#   P/bin/ancm-host
#   P/lib/ancm-host/libancm_{inproc,outofproc}.so   the handler libraries
#   P/lib/ancm-host/ancm-host-master                the master, which `ancm-host run` execs
#   P/lib/ancm-host/managed/Ancm.Host.dll           found beside libancm_inproc.so
#   P/lib/systemd/system/ancm-host@.service         ExecStart names P/bin/ancm-host
#   P/share/doc/ancm-host/                          README, docs/, examples/
# lib/ancm-host is spelled out (not GNUInstallDirs' LIBDIR, which is
# lib/<multiarch> under /usr): the binary looks for exactly <bin>/../lib/ancm-host.
set(ANCM_INSTALL_HANDLER_DIR lib/ancm-host)
set(ANCM_INSTALL_DOC_DIR share/doc/ancm-host)

install(TARGETS ancm-host RUNTIME DESTINATION bin)
install(TARGETS ancm_inproc ancm_outofproc LIBRARY DESTINATION ${ANCM_INSTALL_HANDLER_DIR})
install(TARGETS ancm-host-master RUNTIME DESTINATION ${ANCM_INSTALL_HANDLER_DIR})
install(DIRECTORY ${CMAKE_BINARY_DIR}/lib/managed/ DESTINATION ${ANCM_INSTALL_HANDLER_DIR}/managed)

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${ANCM_INSTALL_DOC_DIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${ANCM_INSTALL_DOC_DIR}/docs)
install(FILES ${CMAKE_SOURCE_DIR}/tools/systemd/myapp.service
              ${CMAKE_SOURCE_DIR}/tools/systemd/myapp.socket
              ${CMAKE_SOURCE_DIR}/tools/systemd/instance.conf
        DESTINATION ${ANCM_INSTALL_DOC_DIR}/examples)

# The unit names the binary by its installed path, known only at install time
# (--prefix, and CPack's staging through DESTDIR).
install(CODE "
  set(ANCM_BIN_DIR \"\${CMAKE_INSTALL_PREFIX}/bin\")
  set(ANCM_DOC_DIR \"\${CMAKE_INSTALL_PREFIX}/${ANCM_INSTALL_DOC_DIR}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/tools/systemd/ancm-host@.service.in\"
                 \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/ancm-host@.service\"
                 @ONLY)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES
       \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/ancm-host@.service\")
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/ancm-host@.service\")
")
