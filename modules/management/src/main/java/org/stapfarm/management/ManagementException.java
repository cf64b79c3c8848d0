package org.stapfarm.management;

/** The management API could not be reached or refused a call; the message is meant for the user. */
public final class ManagementException extends Exception {

    public ManagementException(String message) {
        super(message);
    }

    public ManagementException(String message, Throwable cause) {
        super(message, cause);
    }
}
