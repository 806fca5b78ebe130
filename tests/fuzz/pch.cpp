// Compiled only to produce the precompiled header the other objects reuse (CMakeLists.txt).
