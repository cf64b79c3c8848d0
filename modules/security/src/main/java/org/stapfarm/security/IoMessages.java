package org.stapfarm.security;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** File errors as one line for the user. */
public final class IoMessages {

    private IoMessages() {
    }

    /** One line for the user; NIO leaves the OS reason out of some messages, so name the common ones. */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException fse && fse.getReason() == null) {
            if (e instanceof AccessDeniedException) {
                return fse.getMessage() + ": permission denied";
            }
            if (e instanceof NoSuchFileException) {
                return fse.getMessage() + ": no such file or directory";
            }
            if (e instanceof FileAlreadyExistsException) {
                return fse.getMessage() + ": exists and is not a directory";
            }
        }
        return String.valueOf(e.getMessage()).replace('\n', ' ');
    }
}
