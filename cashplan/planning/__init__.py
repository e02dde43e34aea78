"""From the forecast to actions: cash need and targets, the gap, dunning stages, the battle
plan, reminders and their templates."""
