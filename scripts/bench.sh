#!/usr/bin/env bash
echo "make: the bench target has nothing behind it yet"
