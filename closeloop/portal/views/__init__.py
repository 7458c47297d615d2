"""The portal's pages, by area: help and the bot, requests, the signed-in customer, orders."""
