"""Python helpers of the shell scripts in this folder (imported by their tests)."""
