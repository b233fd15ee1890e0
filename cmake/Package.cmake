# tools/package: a Debian package of the installed tree (cmake/Install.cmake)
# under /usr, built by CPack:  build/package/ancm-host_<version>_<arch>.deb
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ancm-host)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ancm-host developers <ancm-host@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "web host that runs ASP.NET Core apps as IIS's ASP.NET Core Module does")
set(CPACK_PACKAGE_DESCRIPTION
    "ancm-host serves an app that `dotnet publish` wrote, in-process (.NET loaded through hostfxr)\n\
or out-of-process (the app's Kestrel behind a proxy), as its web.config's hostingModel says,\n\
with ANCM's error pages, app_offline.htm, stdout logs, restarts and rapid-fail protection.\n\
It needs the .NET runtime with the ASP.NET Core shared framework, which Debian does not package.")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The runtime libraries the binaries link (libssl3, libnghttp2-14, libspdlog1.10, …),
# found by dpkg-shlibdeps; systemd's own tools are used only if present.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/tools/package.d/postinst ${CMAKE_SOURCE_DIR}/tools/package.d/prerm
    ${CMAKE_SOURCE_DIR}/tools/package.d/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
