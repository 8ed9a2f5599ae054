"""What the app stores and how it goes away: the data inventory, tenant purges, their commands."""
