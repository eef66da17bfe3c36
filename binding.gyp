# Thin adapter so node-gyp drives the one real build: CMakeLists.txt through
# scripts/build-native.sh, in its own CMake tree (build/cmake) beside node-gyp's files.
{
  "targets": [
    {
      "target_name": "embedforge",
      "type": "none",
      "actions": [
        {
          "action_name": "cmake_build",
          "inputs": ["CMakeLists.txt"],
          "outputs": ["build/Release/embedforge.node"],
          "action": ["env", "EMBEDFORGE_BUILD_DIR=build/cmake", "bash", "scripts/build-native.sh"]
        }
      ]
    }
  ]
}
