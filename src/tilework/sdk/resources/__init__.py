"""One module per part of the API: the operations as ``Call``s, then the synchronous and the
asynchronous facade over them, side by side so they stay alike."""
