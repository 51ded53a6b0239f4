package dev.qlinear.cli;

/** How a command prints its result: aligned text for people, one JSON document for tools. */
enum OutputFormat {
    TEXT, JSON
}
