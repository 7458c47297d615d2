"""The FAQ bot: it learns customer questions from the published public articles, answers
above a confidence threshold, offers choices in between, and hands the conversation to a
person below it or whenever the customer asks for one (docs/bot.md)."""
