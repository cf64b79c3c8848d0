package org.stapfarm.cli.client;

/** Something on the client's side that ends `stap-client` with status 1; the message is for the user. */
final class ClientException extends Exception {

    private static final long serialVersionUID = 1L;

    ClientException(String message) {
        super(message);
    }
}
