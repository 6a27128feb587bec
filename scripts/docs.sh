#!/usr/bin/env bash
echo "make: the docs target has nothing behind it yet"
