"""Reading recorded video files (replay and demos)."""
