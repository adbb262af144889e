"""What a reader sees of a run: tables with paired-bootstrap differences (tables) and plots (plots)."""
