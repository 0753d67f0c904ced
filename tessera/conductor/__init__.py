"""The conductor: schedules builds and moves, and routes them to the right cell."""
